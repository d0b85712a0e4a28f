using MudBlazor;

namespace PatchPortal.Portal.Shell;

/// <summary>The portal's palette, light and dark.</summary>
internal static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight { Primary = "#1565C0", AppbarBackground = "#0D47A1", Secondary = "#00897B" },
        PaletteDark = new PaletteDark { Primary = "#64B5F6", Secondary = "#4DB6AC" },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
