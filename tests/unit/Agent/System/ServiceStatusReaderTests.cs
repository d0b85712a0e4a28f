using PatchPortal.Agent.Machine;

namespace PatchPortal.Tests.Unit.Agent.Machine;

public class ServiceStatusReaderTests
{
    [Fact]
    public void Parse_ReadsSystemctlShowOutput()
    {
        const string output = "Id=ssh.service\nDescription=OpenBSD Secure Shell server\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=812\n";

        var status = ServiceStatusReader.Parse("ssh", output);

        Assert.NotNull(status);
        Assert.Equal("ssh.service", status.Name);
        Assert.Equal("running", status.SubState);
        Assert.Equal(812, status.MainPid);
        Assert.True(status.Healthy);
    }

    [Fact]
    public void Parse_ReturnsNull_WhenUnitDoesNotExist() =>
        Assert.Null(ServiceStatusReader.Parse("nope", "Id=nope.service\nLoadState=not-found\nActiveState=inactive\nMainPID=0\n"));

    [Fact]
    public void Parse_IsUnhealthy_WhenUnitFailed()
    {
        var status = ServiceStatusReader.Parse("nginx", "Id=nginx.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nMainPID=0\n");
        Assert.NotNull(status);
        Assert.False(status.Healthy);
        Assert.Null(status.MainPid);
    }

    [Theory]
    [InlineData("ssh", true)]
    [InlineData("getty@tty1.service", true)]
    [InlineData("systemd-fsck@dev-disk-by\\x2duuid.service", true)]
    [InlineData("-H", false)]
    [InlineData("--help", false)]
    [InlineData("ssh;reboot", false)]
    [InlineData("../etc", false)]
    [InlineData("", false)]
    public void IsValidUnitName_FollowsSystemdCharacters(string name, bool expected) =>
        Assert.Equal(expected, ServiceStatusReader.IsValidUnitName(name));

    [Fact]
    public void Command_PutsTheNameAfterDoubleDash()
    {
        var spec = ServiceStatusReader.Command("ssh");
        Assert.Equal("/usr/bin/systemctl", spec.FileName);
        Assert.Equal(["--", "ssh"], spec.Arguments.TakeLast(2));
    }
}
