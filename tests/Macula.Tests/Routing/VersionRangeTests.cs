namespace Macula.Tests.Routing;

public sealed class VersionRangeTests
{
    [Theory]
    [InlineData("^2.0", "2.0.0", true)]
    [InlineData("^2.0", "2.9.13", true)]
    [InlineData("^2.0", "3.0.0", false)]
    [InlineData("^2.0", "1.9.9", false)]
    [InlineData("^2.1.3", "2.1.2", false)]
    [InlineData("^0.2", "0.2.5", true)]
    [InlineData("^0.2", "0.3.0", false)]
    [InlineData("^0.0.3", "0.0.4", false)]
    [InlineData("~2.1", "2.1.9", true)]
    [InlineData("~2.1", "2.2.0", false)]
    [InlineData("~2", "2.7.0", true)]
    [InlineData(">=2.0 <3.0", "2.5.0", true)]
    [InlineData(">=2.0 <3.0", "3.0.0", false)]
    [InlineData(">= 2.0 < 3.0", "2.0.0", true)]
    [InlineData(">2.1", "2.1.9", false)]
    [InlineData(">2.1", "2.2.0", true)]
    [InlineData("<=2.1", "2.1.9", true)]
    [InlineData("<=2.1", "2.2.0", false)]
    [InlineData("2.1", "2.1.4", true)]
    [InlineData("2.1.0", "2.1.0+build.7", true)]
    [InlineData("2.1.0", "2.1.1", false)]
    [InlineData("2.x", "2.4.0", true)]
    [InlineData("*", "9.9.9", true)]
    [InlineData("^1.0 || ^3.0", "3.1.0", true)]
    [InlineData("^1.0 || ^3.0", "2.1.0", false)]
    [InlineData("^2.0", "2.1.0-beta.1", false)]
    [InlineData("^2.1.0-beta.1", "2.1.0-beta.2", true)]
    [InlineData("^2.1.0-beta.1", "2.1.0", true)]
    [InlineData(">=2.1.0-alpha", "2.1.0-beta", true)]
    [InlineData(">=2.1.0-beta.2", "2.1.0-beta.10", true)]
    public void A_range_matches_the_versions_npm_would(string range, string version, bool matches)
    {
        Assert.True(VersionRange.TryParse(range, out var parsed, out string? error), error);
        Assert.True(SemanticVersion.TryParse(version, out var v, out error), error);
        Assert.Equal(matches, parsed.Satisfies(v));
    }

    [Theory]
    [InlineData("")]
    [InlineData("^")]
    [InlineData("2.a")]
    [InlineData("1.2.3.4")]
    [InlineData(">=2.0 ||")]
    [InlineData("02.1")]
    public void A_bad_range_is_refused_with_a_reason(string range)
    {
        Assert.False(VersionRange.TryParse(range, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("2.1")]
    [InlineData("v2.1.0")]
    [InlineData("2.1.0-")]
    [InlineData("2.1.0-01")]
    [InlineData("")]
    public void A_provider_version_must_be_full_semver(string version) =>
        Assert.False(SemanticVersion.TryParse(version, out _, out _));

    [Fact]
    public void Prereleases_sort_before_their_release_and_by_identifier()
    {
        string[] ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"];
        var versions = ordered.Select(t => SemanticVersion.TryParse(t, out var v, out _) ? v : throw new InvalidOperationException(t)).ToList();
        for (int i = 1; i < versions.Count; i++)
        {
            Assert.True(versions[i - 1] < versions[i], $"{ordered[i - 1]} < {ordered[i]}");
        }
    }
}
