namespace PatchPortal.Agent.Packages;

/// <summary>Which pending updates an <see cref="OperationKind.Upgrade"/> applies; shared by the real backends.</summary>
public static class UpgradeSelection
{
    /// <summary>
    /// Null when the operation is a plain "apply everything" (the backend's own full upgrade, which can also pull in
    /// new dependencies such as a new kernel ABI package); otherwise the pending names to upgrade, possibly empty.
    /// </summary>
    public static IReadOnlyList<string>? Select(PackageOperation operation, IReadOnlyList<AvailableUpdate> updates)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(updates);
        if (operation.Targets.Count == 0 && operation.Exclude.Count == 0 && !operation.SecurityOnly)
        {
            return null;
        }

        var eligible = updates.Where(update => update.CurrentVersion is not null && (!operation.SecurityOnly || update.IsSecurity))
            .Select(update => update.Name);
        if (operation.Targets.Count > 0)
        {
            var wanted = operation.Targets.Select(target => target.Name).ToHashSet(StringComparer.Ordinal);
            eligible = eligible.Where(wanted.Contains);
        }

        var excluded = operation.Exclude.ToHashSet(StringComparer.Ordinal);
        return eligible.Where(name => !excluded.Contains(name)).Distinct(StringComparer.Ordinal).ToList();
    }
}
