namespace Macula.Tests.Dht;

public sealed class DhtOptionsTests
{
    [Fact]
    public void The_defaults_are_the_documented_ones_and_valid()
    {
        var d = DhtOptions.Default;
        d.Validate();
        Assert.Equal((20, 3), (d.K, d.Alpha));
        Assert.Equal(TimeSpan.FromSeconds(2), d.RequestTimeout);
    }

    public static TheoryData<string, DhtOptions> BadOptions => new()
    {
        { "K", DhtOptions.Default with { K = 0 } },
        { "K", DhtOptions.Default with { K = 257 } },
        { "Alpha", DhtOptions.Default with { Alpha = 0 } },
        { "Alpha", DhtOptions.Default with { K = 2, Alpha = 3 } },
        { "RequestTimeout", DhtOptions.Default with { RequestTimeout = TimeSpan.Zero } },
        { "RepublishInterval", DhtOptions.Default with { RepublishInterval = TimeSpan.FromSeconds(-1) } },
        { "RefreshInterval", DhtOptions.Default with { RefreshInterval = TimeSpan.Zero } },
        { "MaxRecordTtl", DhtOptions.Default with { MaxRecordTtl = TimeSpan.Zero } },
        { "MaxProvidersPerKey", DhtOptions.Default with { MaxProvidersPerKey = 0 } },
        { "MaxRecordsPerNode", DhtOptions.Default with { MaxRecordsPerNode = 10 } },
        { "MaxRecordBytes", DhtOptions.Default with { MaxRecordBytes = 10 } },
        { "MaxMessageBytes", DhtOptions.Default with { MaxMessageBytes = 5000 } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_is_refused_with_its_name_and_value(string name, DhtOptions options)
    {
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(name, ex.ParamName);
        Assert.Contains($"DhtOptions.{name} must be", ex.Message, StringComparison.Ordinal);
    }
}
