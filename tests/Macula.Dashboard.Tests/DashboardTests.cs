using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Macula.Dashboard.Tests;

/// <summary>The dashboard against a live mesh: its JSON, its embedded assets, and the page in a real headless Chromium.</summary>
public sealed partial class DashboardTests(DashboardMesh mesh) : IClassFixture<DashboardMesh>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// The stats once every provider and its calls are in them: on a machine busy with other suites a snapshot may miss a
    /// node that answered late (docs/dashboard.md), or come from a poll made before a provider recorded the calls it had
    /// answered (it records after the reply), and the next poll has them.
    /// </summary>
    private async Task<JsonElement> StatsWithEveryProviderAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var json = JsonDocument.Parse(await Http.GetStringAsync(mesh.Url + "api/stats", timeout.Token)).RootElement;
            if (json.GetProperty("providers").GetArrayLength() == DashboardMesh.ProviderIds.Length && json.GetProperty("nodes").GetArrayLength() == 4
                && json.GetProperty("services").EnumerateArray().All(s => s.GetProperty("calls").GetInt64() > 0))
            {
                return json;
            }

            await Task.Delay(200, timeout.Token);
        }
    }

    [Fact]
    public async Task Api_stats_lists_the_service_its_three_providers_and_a_call_rate()
    {
        var json = await StatsWithEveryProviderAsync();

        Assert.Equal("shop", json.GetProperty("realm").GetString());
        var service = Assert.Single(json.GetProperty("services").EnumerateArray());
        Assert.Equal("demo.Inventory", service.GetProperty("name").GetString());
        Assert.Equal(DashboardMesh.ProviderIds, service.GetProperty("providers").EnumerateArray().Select(p => p.GetString()));
        Assert.True(service.GetProperty("calls_per_s").GetDouble() > 0, mesh.CallFailures);
        var providers = json.GetProperty("providers").EnumerateArray().ToList();
        Assert.Equal(DashboardMesh.ProviderIds, providers.Select(p => p.GetProperty("node_id").GetString()));
        Assert.All(providers, p => Assert.Equal("1.3.0", p.GetProperty("version").GetString()));
        Assert.All(providers, p => Assert.Equal("closed", p.GetProperty("health").GetProperty("circuit").GetString()));
        Assert.Equal(4, json.GetProperty("dht").GetProperty("nodes").GetInt32());
        Assert.True(json.GetProperty("dht").GetProperty("records").GetInt32() >= 3);
    }

    [Fact]
    public async Task Assets_are_served_from_the_assembly_and_reference_no_other_host()
    {
        string html = await Http.GetStringAsync(mesh.Url);
        string js = await Http.GetStringAsync(mesh.Url + "dashboard.js");
        string css = await Http.GetStringAsync(mesh.Url + "dashboard.css");

        Assert.Contains("<script src=\"dashboard.js\">", html);
        Assert.Contains("fetch(\"api/stats\"", js);
        Assert.Contains("--panel", css);
        Assert.DoesNotContain("://", html + js + css, StringComparison.Ordinal);

        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var bare = await noRedirect.GetAsync(mesh.Url.TrimEnd('/'));
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/macula/", bare.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Headless_chromium_shows_the_service_the_providers_and_a_nonzero_call_rate()
    {
        // The page's poller learns how many nodes answer from its first gather, which waits the whole window.
        await StatsWithEveryProviderAsync();
        string dom = await ChromiumAsync("--dump-dom", "--virtual-time-budget=4000", mesh.Url);

        Assert.Contains("data-loaded=\"true\"", dom);
        Assert.Contains("demo.Inventory", dom);
        foreach (string id in DashboardMesh.ProviderIds)
        {
            Assert.Contains(id, dom);
        }

        var rates = CallRate().Matches(dom).Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(1 + DashboardMesh.ProviderIds.Length, rates.Count);
        Assert.All(rates, r => Assert.True(r > 0, $"a call rate of {r} in the DOM"));

        string artifacts = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(artifacts);
        string png = Path.Combine(artifacts, "dashboard.png");
        File.Delete(png);
        await ChromiumAsync($"--screenshot={png}", "--window-size=1400,820", "--virtual-time-budget=4000", "--hide-scrollbars", mesh.Url);
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 10_000, $"the screenshot {png} has {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }

    private static async Task<string> ChromiumAsync(params string[] args)
    {
        string profile = Directory.CreateTempSubdirectory("macula-chromium").FullName;
        var info = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile })
        {
            info.ArgumentList.Add(a);
        }

        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("could not start chromium");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("chromium is not installed: run ./test.sh, which installs Debian's chromium.", ex);
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            string output = await stdout;
            Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await stderr}");
            return output;
        }
        finally
        {
            // Also when the test fails or times out: no browser outlives its test.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A crash dump still being written; the temp directory is cleaned by the OS.
            }
        }
    }

    [GeneratedRegex("<td class=\"num calls-per-s\">([0-9.]+)</td>")]
    private static partial Regex CallRate();
}
