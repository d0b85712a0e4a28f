using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PatchPortal.Agent.Packages;

namespace PatchPortal.Tests.Unit.Agent.Packages;

public class PackagesExtensionsTests
{
    [Fact]
    public void Resolve_ReturnsApt_WhenAutoAndDpkgAndAptGetExist() =>
        Assert.Equal("apt", BackendSelection.Resolve("auto", path => path is "/usr/bin/dpkg-query" or "/usr/bin/apt-get" or "/usr/bin/rpm"));

    [Fact]
    public void Resolve_ReturnsDnf_WhenAutoAndOnlyRpmExists() =>
        Assert.Equal("dnf", BackendSelection.Resolve("auto", path => path == "/usr/bin/rpm"));

    [Fact]
    public void Resolve_ThrowsNamingTheKey_WhenAutoFindsNoPackageManager() =>
        Assert.Contains("Agent:Backend", Assert.Throws<InvalidOperationException>(() => BackendSelection.Resolve("auto", _ => false)).Message, StringComparison.Ordinal);

    [Fact]
    public void Resolve_ThrowsNamingTheKey_WhenValueIsUnknown() =>
        Assert.Contains("Agent:Backend", Assert.Throws<InvalidOperationException>(() => BackendSelection.Resolve("yum", _ => true)).Message, StringComparison.Ordinal);

    [Fact]
    public void AddPackageBackends_RegistersSimulatedBackend_WhenConfiguredSimulated()
    {
        var builder = WebApplication.CreateBuilder(["--Agent:Backend=simulated", "--Agent:DataDir=" + Path.GetTempPath()]);

        using var app = builder.AddPackageBackends().Build();

        Assert.Equal("simulated", app.Services.GetRequiredService<IPackageManager>().Name);
    }
}
