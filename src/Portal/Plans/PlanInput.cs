using System.Text.RegularExpressions;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Infrastructure;

namespace PatchPortal.Portal.Plans;

/// <summary>What the plan editor collects: what, where, when and how.</summary>
public sealed record PlanInput
{
    public string Name { get; init; } = "";
    public string? Description { get; init; }

    // What
    public PlanPackageScope Scope { get; init; } = PlanPackageScope.AllUpdates;
    public IReadOnlyList<string> Packages { get; init; } = [];
    public IReadOnlyList<string> ExcludedPackages { get; init; } = [];

    // Where
    public IReadOnlyList<Guid> GroupIds { get; init; } = [];
    public IReadOnlyList<Guid> TagIds { get; init; } = [];
    public IReadOnlyList<Guid> HostIds { get; init; } = [];

    // When
    public PlanTiming Timing { get; init; } = PlanTiming.NextOccurrence;
    public Guid? WindowId { get; init; }
    public DateTimeOffset? OccurrenceStart { get; init; }

    // How
    public int BatchSize { get; init; } = 1;
    public bool BatchSizeIsPercent { get; init; }
    public IReadOnlyList<Guid> CanaryHostIds { get; init; } = [];
    public int MaxFailures { get; init; }
    public bool MaxFailuresIsPercent { get; init; }
    public RebootPolicy RebootPolicy { get; init; } = RebootPolicy.IfRequired;
    public int HostTimeoutMinutes { get; init; } = 30;

    /// <summary>The editor's starting point for an existing plan.</summary>
    public static PlanInput From(PatchPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new PlanInput
        {
            Name = plan.Name,
            Description = plan.Description,
            Scope = plan.Scope,
            Packages = [.. plan.Packages],
            ExcludedPackages = [.. plan.ExcludedPackages],
            GroupIds = plan.TargetGroups.Select(g => g.Id).ToList(),
            TagIds = plan.TargetTags.Select(t => t.Id).ToList(),
            HostIds = plan.TargetHosts.Select(h => h.Id).ToList(),
            Timing = plan.Timing,
            WindowId = plan.WindowId,
            OccurrenceStart = plan.OccurrenceStart,
            BatchSize = plan.BatchSize,
            BatchSizeIsPercent = plan.BatchSizeIsPercent,
            CanaryHostIds = [.. plan.CanaryHostIds],
            MaxFailures = plan.MaxFailures,
            MaxFailuresIsPercent = plan.MaxFailuresIsPercent,
            RebootPolicy = plan.RebootPolicy,
            HostTimeoutMinutes = plan.HostTimeoutMinutes,
        };
    }
}

/// <summary>The keys of <see cref="PlanResult.FieldErrors"/>: the editor shows each message at its field.</summary>
public static class PlanFields
{
    public const string Name = nameof(PlanInput.Name);
    public const string Description = nameof(PlanInput.Description);
    public const string Scope = nameof(PlanInput.Scope);
    public const string Packages = nameof(PlanInput.Packages);
    public const string ExcludedPackages = nameof(PlanInput.ExcludedPackages);
    public const string Targets = "Targets";
    public const string Timing = nameof(PlanInput.Timing);
    public const string Window = nameof(PlanInput.WindowId);
    public const string Occurrence = nameof(PlanInput.OccurrenceStart);
    public const string BatchSize = nameof(PlanInput.BatchSize);
    public const string CanaryHosts = nameof(PlanInput.CanaryHostIds);
    public const string MaxFailures = nameof(PlanInput.MaxFailures);
    public const string RebootPolicy = nameof(PlanInput.RebootPolicy);
    public const string HostTimeout = nameof(PlanInput.HostTimeoutMinutes);
}

/// <summary>
/// The rules for a plan's fields that need no database, shared by <see cref="PlanService"/> and the editor's
/// field validation. Package names follow the agent's contract (the agent refuses anything else).
/// </summary>
public static partial class PlanInputRules
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 4000;
    public const int MaxPackageLength = 128;
    public const int MaxPackages = 200;
    public const int MaxHostTimeoutMinutes = 1440;
    public const int MaxCommentLength = 2000;

    private const string NameRule = "lower-case letters, digits and + . _ - (optionally :arch), at most 128 characters, not starting with '-'";

    public static string? ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "Enter a name.";
        }

        return name.Trim().Length > MaxNameLength ? $"A name has at most {MaxNameLength} characters." : null;
    }

    public static string? ValidateDescription(string? description) =>
        description is { Length: > MaxDescriptionLength } ? $"A description has at most {MaxDescriptionLength} characters." : null;

    /// <summary>The agent's package-name rule: <c>[a-z0-9][a-z0-9+._-]*</c>, an optional <c>:arch</c>, at most 128 characters.</summary>
    public static bool IsPackageName(string? name) => name is { Length: > 0 and <= MaxPackageLength } && PackageName().IsMatch(name);

    /// <summary>A name, or a glob with <c>*</c> (linux-image-*) over the same characters, never starting with '-'.</summary>
    public static bool IsExclusion(string? pattern) =>
        pattern is { Length: > 0 and <= MaxPackageLength } && (IsPackageName(pattern) || ExclusionGlob().IsMatch(pattern));

    public static bool IsGlob(string pattern) => pattern.Contains('*', StringComparison.Ordinal);

    public static string? ValidatePackage(string? name) =>
        IsPackageName(name) ? null : $"'{name}' is not a package name: use {NameRule}.";

    public static string? ValidateExclusion(string? pattern)
    {
        if (!IsExclusion(pattern))
        {
            return $"'{pattern}' is not a package name or glob: use {NameRule}; '*' matches any characters.";
        }

        return pattern!.Trim('*').Length == 0 ? $"'{pattern}' would exclude every package." : null;
    }

    public static string? ValidatePackages(PlanPackageScope scope, IReadOnlyList<string> packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        if (scope == PlanPackageScope.NamedPackages && packages.Count == 0)
        {
            return "Name at least one package.";
        }

        if (packages.Count > MaxPackages)
        {
            return $"A plan names at most {MaxPackages} packages.";
        }

        return packages.Select(ValidatePackage).FirstOrDefault(e => e is not null);
    }

    public static string? ValidateExclusions(IReadOnlyList<string> exclusions)
    {
        ArgumentNullException.ThrowIfNull(exclusions);
        return exclusions.Count > MaxPackages
            ? $"A plan excludes at most {MaxPackages} names or globs."
            : exclusions.Select(ValidateExclusion).FirstOrDefault(e => e is not null);
    }

    public static string? ValidateBatchSize(int size, bool percent) => percent
        ? size is >= 1 and <= 100 ? null : "A batch is from 1 to 100 percent of the hosts."
        : size >= 1 ? null : "A batch has at least 1 host.";

    public static string? ValidateMaxFailures(int failures, bool percent) => percent
        ? failures is >= 0 and <= 100 ? null : "Max failures is from 0 to 100 percent of the hosts."
        : failures >= 0 ? null : "Max failures cannot be negative (0 halts at the first failure).";

    public static string? ValidateHostTimeout(int minutes) =>
        minutes is >= 1 and <= MaxHostTimeoutMinutes ? null : $"The host timeout is from 1 to {MaxHostTimeoutMinutes} minutes.";

    public static string? ValidateComment(string? comment) =>
        comment is { Length: > MaxCommentLength } ? $"A comment has at most {MaxCommentLength} characters." : null;

    /// <summary>Splits what the user typed (commas, spaces, new lines) into trimmed, distinct entries.</summary>
    public static IReadOnlyList<string> SplitList(string? text) =>
        (text ?? "").Split([',', ' ', '\n', '\r', '\t', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Every rule that needs no database, as field → message (empty when the input is fine).</summary>
    public static Dictionary<string, string> Validate(PlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(errors, PlanFields.Name, ValidateName(input.Name));
        Add(errors, PlanFields.Description, ValidateDescription(input.Description));
        Add(errors, PlanFields.Scope, Enum.IsDefined(input.Scope) ? null : "Choose what to patch.");
        Add(errors, PlanFields.Packages, ValidatePackages(input.Scope, input.Packages));
        Add(errors, PlanFields.ExcludedPackages, ValidateExclusions(input.ExcludedPackages));
        if (input.GroupIds.Count == 0 && input.TagIds.Count == 0 && input.HostIds.Count == 0)
        {
            errors[PlanFields.Targets] = "Choose at least one group, tag or host.";
        }

        Add(errors, PlanFields.Timing, Enum.IsDefined(input.Timing) ? null : "Choose when the plan runs.");
        if (input.Timing != PlanTiming.Now && input.WindowId is null)
        {
            errors[PlanFields.Window] = "Choose a maintenance window (or run the plan now).";
        }

        if (input.Timing == PlanTiming.Occurrence && input.OccurrenceStart is null)
        {
            errors[PlanFields.Occurrence] = "Choose an occurrence of the window.";
        }

        Add(errors, PlanFields.BatchSize, ValidateBatchSize(input.BatchSize, input.BatchSizeIsPercent));
        Add(errors, PlanFields.MaxFailures, ValidateMaxFailures(input.MaxFailures, input.MaxFailuresIsPercent));
        Add(errors, PlanFields.RebootPolicy, Enum.IsDefined(input.RebootPolicy) ? null : "Choose a reboot policy.");
        Add(errors, PlanFields.HostTimeout, ValidateHostTimeout(input.HostTimeoutMinutes));
        return errors;
    }

    private static void Add(Dictionary<string, string> errors, string field, string? error)
    {
        if (error is not null)
        {
            errors.TryAdd(field, error);
        }
    }

    // The agent's rule (src/Agent/Packages/PackageNames.cs); the portal does not reference the agent, so it is
    // repeated here, and a unit test keeps the two in step.
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9+._-]*(:[a-z0-9][a-z0-9_-]*)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex PackageName();

    [GeneratedRegex(@"\A[a-z0-9*][a-z0-9+._*-]*(:[a-z0-9*][a-z0-9_*-]*)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex ExclusionGlob();
}

/// <summary>The outcome of a plan command: refused with a message (and per-field messages for bad input), or done.</summary>
public sealed record PlanResult(bool Succeeded, string? Error = null)
{
    /// <summary>Why it was refused, for the API: a rule (Invalid), the plan's state (Conflict), no plan, or not this user.</summary>
    public ChangeStatus Status { get; init; } = Succeeded ? ChangeStatus.Ok : ChangeStatus.Conflict;

    public IReadOnlyDictionary<string, string> FieldErrors { get; init; } = new Dictionary<string, string>();

    public Guid? PlanId { get; init; }

    /// <summary>A short note for the user on success (what happened next).</summary>
    public string? Notice { get; init; }

    public static PlanResult Ok(Guid planId, string? notice = null) => new(true) { PlanId = planId, Notice = notice };

    public static PlanResult Refused(string error, ChangeStatus status = ChangeStatus.Conflict) => new(false, error) { Status = status };

    public static PlanResult Missing() => Refused("The plan no longer exists.", ChangeStatus.NotFound);

    public static PlanResult Invalid(IReadOnlyDictionary<string, string> errors) =>
        new(false, errors.Count == 1 ? errors.Values.First() : "Some fields need attention.") { FieldErrors = errors, Status = ChangeStatus.Invalid };
}
