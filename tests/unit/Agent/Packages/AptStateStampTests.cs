using Microsoft.Extensions.Time.Testing;
using PatchPortal.Agent.Packages.Apt;

namespace PatchPortal.Tests.Unit.Agent.Packages;

/// <summary>The fingerprint the apt backend's cache is keyed on, over a scratch copy of the files it watches.</summary>
public sealed class AptStateStampTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("apt-stamp-");
    private readonly AptStateStamp _stamp;

    public AptStateStampTests()
    {
        Directory.CreateDirectory(Path("lists"));
        Directory.CreateDirectory(Path("etc", "sources.list.d"));
        File.WriteAllText(Path("status"), "Package: dpkg\n");
        File.WriteAllText(Path("lists", "b_Packages"), "b");
        File.WriteAllText(Path("lists", "a_Packages"), "a");
        File.WriteAllText(Path("etc", "sources.list.d", "debian.sources"), "Types: deb\n");
        _stamp = new AptStateStamp(Path("status"), Path("lists"), Path("etc"));
    }

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Compute_IsTheSame_WhileNothingChanged()
    {
        var first = _stamp.Compute();

        Assert.Equal(first, _stamp.Compute());
        Assert.Same(first, _stamp.Compute(first));
    }

    [Fact]
    public void Compute_Changes_WhenTheTargetOfALinkedSourceChanges()
    {
        // Sources kept elsewhere and linked into sources.list.d (configuration management does this).
        var target = Path("managed.sources");
        File.WriteAllText(target, "Types: deb\n");
        File.CreateSymbolicLink(Path("etc", "sources.list.d", "managed.sources"), target);
        var before = _stamp.Compute();

        File.AppendAllText(target, "Components: main contrib\n");

        Assert.NotEqual(before, _stamp.Compute());
    }

    [Fact]
    public void Compute_Changes_WhenAFileIsRenamedWithItsDirectorysTimeKept()
    {
        var lists = new DirectoryInfo(Path("lists"));
        var before = _stamp.Compute();

        // A rename within the same clock tick as the directory's last change leaves its time as it was.
        var modified = lists.LastWriteTimeUtc;
        File.Move(Path("lists", "a_Packages"), Path("lists", "z_Packages"));
        lists.LastWriteTimeUtc = modified;

        Assert.NotEqual(before, _stamp.Compute());
    }

    [Theory]
    [InlineData("dpkg status rewritten")]
    [InlineData("list grew")]
    [InlineData("list touched")]
    [InlineData("list added")]
    [InlineData("list removed")]
    [InlineData("source edited in place")]
    [InlineData("pinning added")]
    public void Compute_Changes_WhenAptsAnswersCan(string change)
    {
        var before = _stamp.Compute();

        switch (change)
        {
            case "dpkg status rewritten":
                File.WriteAllText(Path("status"), "Package: dpkg\n\nPackage: hello\n");
                break;
            case "list grew":
                File.AppendAllText(Path("lists", "a_Packages"), "more");
                break;
            case "list touched":
                File.SetLastWriteTimeUtc(Path("lists", "b_Packages"), DateTime.UtcNow.AddMinutes(5));
                break;
            case "list added":
                File.WriteAllText(Path("lists", "c_Packages"), "c");
                break;
            case "list removed":
                File.Delete(Path("lists", "a_Packages"));
                break;
            case "source edited in place":
                File.SetLastWriteTimeUtc(Path("etc", "sources.list.d", "debian.sources"), DateTime.UtcNow.AddMinutes(5));
                break;
            case "pinning added":
                Directory.CreateDirectory(Path("etc", "preferences.d"));
                break;
        }

        Assert.NotEqual(before, _stamp.Compute());
        Assert.NotSame(before, _stamp.Compute(before));
    }

    [Fact]
    public void Compute_TrustsAConfirmedFingerprint_ForTrustForOnly()
    {
        var time = new FakeTimeProvider();
        var stamp = new AptStateStamp(Path("status"), Path("lists"), Path("etc")) { TrustFor = TimeSpan.FromSeconds(1), Time = time };
        var before = stamp.Compute();
        File.AppendAllText(Path("lists", "a_Packages"), "more");

        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Same(before, stamp.Compute(before));

        time.Advance(TimeSpan.FromMilliseconds(100));
        var after = stamp.Compute(before);
        Assert.NotEqual(before, after);

        // A fingerprint it did not confirm itself is always checked against the files.
        Assert.NotSame(before, stamp.Compute(before));
        Assert.Same(after, stamp.Compute(after));
    }

    [Fact]
    public void Forget_MakesTheNextComputeLookAtTheFiles()
    {
        var stamp = new AptStateStamp(Path("status"), Path("lists"), Path("etc")) { TrustFor = TimeSpan.FromMinutes(5) };
        var before = stamp.Compute();
        File.WriteAllText(Path("status"), "Package: dpkg\n\nPackage: hello\n");
        Assert.Same(before, stamp.Compute(before));

        stamp.Forget();

        Assert.NotEqual(before, stamp.Compute(before));
    }

    private string Path(params string[] parts) => System.IO.Path.Combine([_root.FullName, .. parts]);
}
