using Macula.Cli.Tests.Infrastructure;

namespace Macula.Cli.Tests;

/// <summary>Failures that need no mesh: every one exits non-zero with one line on stderr and nothing on stdout.</summary>
public sealed class FailureTests
{
    [Theory]
    [InlineData("services")]
    [InlineData("providers", "Parcels")]
    [InlineData("ping", "some-node")]
    [InlineData("dht", "stats")]
    [InlineData("call", "Parcels", "AddAsync", "--args", "[1, 2]")]
    public async Task An_unreachable_server_fails_with_one_line(params string[] command)
    {
        string url = $"nats://127.0.0.1:{TestPorts.Next()}";

        string reason = (await MaculaTool.RunAsync([.. command, "--nats", url, "--timeout", "3s"])).FailedWith(1);

        Assert.Contains($"cannot connect to NATS at {url}", reason);
    }

    [Fact]
    public async Task An_unreachable_server_fails_with_one_line_from_the_real_process()
    {
        string url = $"nats://127.0.0.1:{TestPorts.Next()}";

        string reason = (await MaculaTool.RunProcessAsync("services", "--nats", url, "--json")).FailedWith(1);

        Assert.Contains("cannot connect to NATS", reason);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Every_listed_server_is_tried_and_named(bool commaSeparated)
    {
        string first = $"nats://127.0.0.1:{TestPorts.Next()}";
        string second = $"nats://127.0.0.1:{TestPorts.Next()}";
        string[] servers = commaSeparated ? ["--nats", $"{first}, {second}"] : ["--nats", first, "--nats", second];

        string reason = (await MaculaTool.RunAsync(["services", .. servers])).FailedWith(1);

        Assert.Contains($"cannot connect to NATS at {first}, {second}", reason);
    }

    [Fact]
    public async Task Bad_json_is_reported_before_connecting()
    {
        string url = $"nats://127.0.0.1:{TestPorts.Next()}";

        string reason = (await MaculaTool.RunAsync("call", "Parcels", "AddAsync", "--args", "[1, 2", "--nats", url)).FailedWith(2);

        Assert.StartsWith("macula: --args is not valid JSON", reason);
    }

    [Fact]
    public async Task A_missing_arguments_file_is_a_usage_error()
    {
        string reason = (await MaculaTool.RunAsync("call", "Parcels", "AddAsync", "--args", "@/nonexistent/args.json")).FailedWith(2);

        Assert.Contains("--args @/nonexistent/args.json: cannot read the file", reason);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("services", "--timeout", "soon")]
    [InlineData("services", "--timeout", "0")]
    [InlineData("services", "--realm", "a.b")]
    [InlineData("services", "--nats", "http://127.0.0.1:4222")]
    [InlineData("services", "--nats", ",")]
    [InlineData("call", "Parcels")]
    [InlineData("providers")]
    [InlineData]
    public async Task A_bad_command_line_fails_with_exit_code_2(params string[] args)
    {
        string reason = (await MaculaTool.RunAsync(args)).FailedWith(2);

        Assert.True(reason.Length > "macula: ".Length + 5, reason);
    }

    [Fact]
    public async Task An_unrecognized_command_is_named()
    {
        string reason = (await MaculaTool.RunAsync("frobnicate")).FailedWith(2);

        Assert.Contains("frobnicate", reason);
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var result = (await MaculaTool.RunAsync("--help")).Succeeded();

        foreach (string command in new[] { "services", "providers", "call", "dht", "ping", "--nats", "--realm", "--json", "--timeout" })
        {
            Assert.Contains(command, result.Stdout);
        }
    }

    [Theory]
    [InlineData("5", 5_000)]
    [InlineData("2.5", 2_500)]
    [InlineData("250ms", 250)]
    [InlineData("3s", 3_000)]
    [InlineData("1m", 60_000)]
    public void Durations_accept_seconds_and_units(string text, double milliseconds)
    {
        Assert.True(GlobalOptions.TryParseDuration(text, out var value));
        Assert.Equal(milliseconds, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("0ms")]
    [InlineData("5h")]
    [InlineData("1e3")]
    public void Durations_refuse_what_is_not_a_positive_duration(string text) =>
        Assert.False(GlobalOptions.TryParseDuration(text, out _));

    [Fact]
    public void A_remote_error_whose_details_the_provider_withholds_is_explained_without_a_type()
    {
        var withheld = new MaculaRemoteException("", "The service implementation failed; the provider withholds the details.", "p1");
        var detailed = new MaculaRemoteException("System.IO.IOException", "the disk is full", "p1");

        Assert.Equal((3, "the provider p1 failed: The service implementation failed; the provider withholds the details."), MaculaCli.Explain(withheld, CancellationToken.None));
        Assert.Equal((3, "the provider p1 threw System.IO.IOException: the disk is full"), MaculaCli.Explain(detailed, CancellationToken.None));
    }
}
