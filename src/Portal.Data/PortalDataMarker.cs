namespace PatchPortal.Portal.Data;

/// <summary>Placeholder until the data model lands (issue 3).</summary>
internal static class PortalDataMarker;
