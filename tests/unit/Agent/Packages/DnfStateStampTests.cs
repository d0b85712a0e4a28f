using PatchPortal.Agent.Packages.Dnf;

namespace PatchPortal.Tests.Unit.Agent.Packages;

/// <summary>The fingerprint the dnf backend's cache is keyed on, over a scratch copy of the places it watches.</summary>
public sealed class DnfStateStampTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("dnf-stamp-");
    private readonly DnfStateStamp _stamp;

    public DnfStateStampTests()
    {
        Directory.CreateDirectory(Path("rpm"));
        Directory.CreateDirectory(Path("cache"));
        Directory.CreateDirectory(Path("etc-dnf"));
        Directory.CreateDirectory(Path("repos"));
        File.WriteAllText(Path("rpm", "rpmdb.sqlite"), "db");
        File.WriteAllText(Path("cache", "baseos.solv"), "solv");
        File.WriteAllText(Path("etc-dnf", "dnf.conf"), "[main]\n");
        File.WriteAllText(Path("repos", "baseos.repo"), "[baseos]\n");
        _stamp = new DnfStateStamp(Path("rpm"), Path("sysimage-rpm"), Path("cache"), Path("etc-dnf"), Path("repos"));
    }

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Compute_IsTheSameObject_WhileNothingChanged()
    {
        var first = _stamp.Compute();

        Assert.Same(first, _stamp.Compute(first));
    }

    [Theory]
    [InlineData("rpm/rpmdb.sqlite-wal")] // an rpm transaction journals into the database's WAL
    [InlineData("cache/baseos.solv")] // dnf refreshed a repository's metadata
    [InlineData("repos/epel.repo")] // a repository was added
    [InlineData("etc-dnf/dnf.conf")] // dnf's configuration changed (excludes, for one)
    public void Compute_Changes_WhenWhatDnfAnswersFromChanges(string file)
    {
        var before = _stamp.Compute();

        File.AppendAllText(Path(file.Split('/')), "changed");

        Assert.NotSame(before, _stamp.Compute(before));
    }

    [Fact]
    public void Compute_Changes_WhenTheSysimageDatabaseAppears()
    {
        // Fedora and RHEL 10 keep the database in /usr/lib/sysimage/rpm.
        var before = _stamp.Compute();

        Directory.CreateDirectory(Path("sysimage-rpm"));
        File.WriteAllText(Path("sysimage-rpm", "rpmdb.sqlite"), "db");

        Assert.NotSame(before, _stamp.Compute(before));
    }

    private string Path(params string[] parts) => System.IO.Path.Combine([_root.FullName, .. parts]);
}
