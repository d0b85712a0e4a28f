namespace PatchPortal.Agent.Packages;

/// <summary>A read-only package query failed in a way the backend did not expect (broken database, missing tool).</summary>
/// <remarks>Expected outcomes (not installed, nothing to do, a failing job) are results, never this exception.</remarks>
public sealed class PackageManagerException : Exception
{
    public PackageManagerException()
    {
    }

    public PackageManagerException(string message)
        : base(message)
    {
    }

    public PackageManagerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A JobErrorCodes value that best describes the failure.</summary>
    public string ErrorCode { get; init; } = Contracts.JobErrorCodes.PackageManagerError;
}
