using PatchPortal.Agent.Machine;

namespace PatchPortal.Tests.Unit.Agent.Machine;

public class SystemInfoProviderTests
{
    [Fact]
    public void ParseOsRelease_ReadsQuotedAndPlainValues()
    {
        const string text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n# comment=ignored\n";

        var values = SystemInfoProvider.ParseOsRelease(text);

        Assert.Equal("Debian GNU/Linux", values["NAME"]);
        Assert.Equal("12", values["VERSION_ID"]);
        Assert.Equal("bookworm", values["VERSION_CODENAME"]);
        Assert.False(values.ContainsKey("# comment"));
    }

    [Fact]
    public void Read_ReportsThisMachinesKernelAndBackend()
    {
        var info = new SystemInfoProvider(TimeProvider.System).Read("apt", rebootRequired: true);

        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), info.Kernel.Version);
        Assert.Equal("apt", info.PackageManager);
        Assert.True(info.RebootRequired);
        Assert.True(info.UptimeSeconds > 0);
    }
}
