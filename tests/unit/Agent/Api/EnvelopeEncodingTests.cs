using System.Text;
using System.Text.Json;
using PatchPortal.Agent.Api;
using PatchPortal.Agent.Contracts;
using PatchPortal.Agent.Json;

namespace PatchPortal.Tests.Unit.Agent.Api;

/// <summary>The package list's pre-encoded form answers exactly what the contract's form would.</summary>
public sealed class EnvelopeEncodingTests
{
    private static readonly PackageDto[] Packages =
    [
        new()
        {
            Name = "libc6", Version = "2.36-9+deb12u7", Status = "installed", Description = "GNU C Library: <shared> \"libraries\" & more\u2028",
            SizeBytes = 12_345_678, InstalledAt = new DateTimeOffset(2026, 11, 2, 8, 30, 0, TimeSpan.Zero), Upgradable = true,
            AvailableVersion = "2.36-9+deb12u8", Dependencies = ["libgcc-s1", "libc-bin (= 2.36-9+deb12u7)"], Maintainer = "GNU Libc Maintainers",
            Architecture = "amd64",
        },
        new() { Name = "tzdata", Version = "2024a-0+deb12u1~1", Status = "installed" },
    ];

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 1)]
    [InlineData(2, 5)]
    public void EncodedPackageList_IsWrittenAsThePackageListResponse(int offset, int limit)
    {
        var page = Packages.Skip(offset).Take(limit).ToArray();
        var expected = Envelope.Encode(new PackageListResponse(page, Packages.Length, limit, offset));

        var actual = Envelope.Encode(new EncodedPackageList(page.Select(Envelope.Encode).ToArray(), Packages.Length, limit, offset));

        Assert.Equal(Encoding.UTF8.GetString(expected.Utf8), Encoding.UTF8.GetString(actual.Utf8));
    }

    [Fact]
    public void Encode_EscapesWhatJsonRequires_AndKeepsVersionsReadable()
    {
        var json = Encoding.UTF8.GetString(Envelope.Encode(Packages[0]).Utf8);

        Assert.Contains("\"version\":\"2.36-9+deb12u7\"", json, StringComparison.Ordinal);
        Assert.Equal(Packages[0].Description, JsonDocument.Parse(json).RootElement.GetProperty("description").GetString());
        Assert.DoesNotContain("\u2028", json, StringComparison.Ordinal);
    }
}
