using PatchPortal.Agent.Contracts;

namespace PatchPortal.Tests.Unit.Agent.Api;

public sealed class RequestIdsTests
{
    [Theory]
    [InlineData("run-42.host-7")]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData("plan:17_approve")]
    public void From_KeepsTheCallersId_WhenWellFormed(string id) => Assert.Equal(id, RequestIds.From(id));

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("line\nbreak")]
    [InlineData("quote\"d")]
    [InlineData("ünïcode")]
    public void From_MakesAFreshId_WhenTheCallersHasOtherCharacters(string id)
    {
        var result = RequestIds.From(id);

        Assert.NotEqual(id, result);
        Assert.Matches("^[0-9a-f]{32}$", result);
    }

    [Fact]
    public void From_MakesAFreshId_WhenTheCallersIsLongerThanMaxLength()
    {
        var id = new string('a', RequestIds.MaxLength + 1);

        Assert.NotEqual(id, RequestIds.From(id));
        Assert.Equal(new string('a', RequestIds.MaxLength), RequestIds.From(new string('a', RequestIds.MaxLength)));
    }

    [Fact]
    public void From_MakesAFreshId_WhenThereIsNone() => Assert.True(RequestIds.IsWellFormed(RequestIds.From(null)));

    [Fact]
    public void New_Makes32HexDigits_NeverTheSameTwice()
    {
        var ids = Enumerable.Range(0, 100_000).Select(_ => RequestIds.New()).ToList();

        Assert.All(ids.Take(100), id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }
}
