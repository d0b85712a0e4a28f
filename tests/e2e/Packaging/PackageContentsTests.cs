using PatchPortal.Tests.E2E.Infrastructure;

namespace PatchPortal.Tests.E2E.Packaging;

/// <summary>What the .deb and .rpm files hold, checked with the distributions' own tools.</summary>
public sealed class PackageContentsTests
{
    private static readonly TimeSpan Tool = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData("agent", "libssl3 | libssl1.1")]
    [InlineData("portal", "libicu")]
    public async Task Deb_NamesItsDependenciesAndConffiles(string which, string library)
    {
        var deb = Deb(await PackageBuild.GetAsync(), which);

        var info = await Ok("dpkg-deb", "--info", deb);
        var conffiles = await Ok("dpkg-deb", "--info", deb, "conffiles");

        Assert.Contains($"Package: patch-{which}", info, StringComparison.Ordinal);
        Assert.Contains($"Version: {PackageBuild.Version}", info, StringComparison.Ordinal);
        Assert.Contains(library, info, StringComparison.Ordinal);
        Assert.Equal($"/etc/patch-{which}/{which}.json", conffiles.Trim());
    }

    [Fact]
    public async Task AgentDeb_ShipsOneNativeExecutable_LinkingOnlyWhatItsDependsProvide()
    {
        var root = Directory.CreateTempSubdirectory("patchportal-agent-deb-");
        try
        {
            await Ok("dpkg-deb", "-x", (await PackageBuild.GetAsync()).AgentDeb, root.FullName);
            var directory = Path.Combine(root.FullName, "usr", "lib", "patch-agent");

            // Native AOT: the program and nothing else (no runtime, no assemblies), linked against libc alone (OpenSSL
            // is loaded at run time, and libssl3 is in Depends).
            Assert.Equal(["patch-agent"], Directory.GetFiles(directory).Select(Path.GetFileName));
            var needed = (await Ok("readelf", "--dynamic", Path.Combine(directory, "patch-agent"))).Split('\n')
                .Where(line => line.Contains("(NEEDED)", StringComparison.Ordinal))
                .Select(line => line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.IndexOf(']', StringComparison.Ordinal)])
                .ToList();
            Assert.NotEmpty(needed);
            Assert.All(needed, library => Assert.Matches(@"^(libc|libm|ld-linux-x86-64)\.so\.\d+$", library));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("portal")]
    public async Task Deb_InstallsProgramUnitAndConfigWhereDebianExpectsThem(string which)
    {
        var contents = await Ok("dpkg-deb", "--contents", Deb(await PackageBuild.GetAsync(), which));

        Assert.Matches($@"-rwxr-xr-x root/root .* \./usr/lib/patch-{which}/patch-{which}\n", contents);
        Assert.Contains($"./usr/bin/patch-{which} -> ../lib/patch-{which}/patch-{which}", contents, StringComparison.Ordinal);
        Assert.Contains($"./lib/systemd/system/patch-{which}.service", contents, StringComparison.Ordinal);
        Assert.Contains($"./etc/patch-{which}/{which}.json", contents, StringComparison.Ordinal);
        Assert.Contains($"./usr/share/doc/patch-{which}/copyright", contents, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("portal")]
    public async Task Deb_HasNoLintianErrors(string which)
    {
        var result = await Run.ProcessAsync("lintian", ["--tag-display-limit", "0", Deb(await PackageBuild.GetAsync(), which)], Tool);

        var errors = result.Output.Split('\n').Where(line => line.StartsWith("E:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join('\n', errors));
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("portal")]
    public async Task Rpm_ListsProgramUnitAndNoReplaceConfig(string which)
    {
        var rpm = Rpm(await PackageBuild.GetAsync(), which);

        var files = await Ok("rpm", "-qpl", rpm);
        var config = await Ok("rpm", "-qp", "--configfiles", rpm);
        var scripts = await Ok("rpm", "-qp", "--scripts", rpm);

        Assert.Contains($"/usr/lib/patch-{which}/patch-{which}", files, StringComparison.Ordinal);
        Assert.Contains($"/usr/lib/systemd/system/patch-{which}.service", files, StringComparison.Ordinal);
        Assert.Equal($"/etc/patch-{which}/{which}.json", config.Trim());
        Assert.Contains("systemctl daemon-reload", scripts, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortalRpm_CreatesItsSystemUserBeforeInstalling()
    {
        var scripts = await Ok("rpm", "-qp", "--scripts", Rpm(await PackageBuild.GetAsync(), "portal"));

        Assert.Contains("preinstall scriptlet", scripts, StringComparison.Ordinal);
        Assert.Contains("useradd -r -g patchportal", scripts, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("agent", "User=root")]
    [InlineData("portal", "User=patchportal")]
    public async Task Unit_IsHardened(string which, string user)
    {
        var unit = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "packaging", which, $"patch-{which}.service"));

        Assert.Contains(user, unit, StringComparison.Ordinal);
        Assert.Contains("PrivateTmp=true", unit, StringComparison.Ordinal);
        Assert.Contains("Restart=on-failure", unit, StringComparison.Ordinal);
        Assert.Contains("Type=notify", unit, StringComparison.Ordinal);
        if (which == "portal")
        {
            Assert.Contains("ProtectSystem=strict", unit, StringComparison.Ordinal);
            Assert.Contains("NoNewPrivileges=true", unit, StringComparison.Ordinal);
        }

        var verify = await Run.ProcessAsync("systemd-analyze", ["verify", "--man=no", Path.Combine(Repository.Root, "packaging", which, $"patch-{which}.service")], Tool);
        Assert.DoesNotContain("Unknown key", verify.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Failed to parse", verify.Output, StringComparison.Ordinal);
    }

    private static string Deb(PackageBuild build, string which) => which == "agent" ? build.AgentDeb : build.PortalDeb;

    private static string Rpm(PackageBuild build, string which) => which == "agent" ? build.AgentRpm : build.PortalRpm;

    private static async Task<string> Ok(string program, params string[] arguments)
    {
        var result = await Run.ProcessAsync(program, arguments, Tool);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.Output}");
        return result.Output;
    }
}
