namespace PatchPortal.Portal.Groups;

internal static class GroupsExtensions
{
    /// <summary>The group catalog behind the Groups page.</summary>
    public static IHostApplicationBuilder AddGroups(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<GroupCatalog>();
        return builder;
    }
}
