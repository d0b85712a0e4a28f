namespace PatchPortal.Portal.Settings.Users;

internal static class UsersExtensions
{
    public static IHostApplicationBuilder AddUserAdministration(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserAdministration>();
        return builder;
    }
}
