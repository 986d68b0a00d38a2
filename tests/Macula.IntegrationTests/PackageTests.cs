namespace Macula.IntegrationTests;

/// <summary>The packages work on their own: a consumer that references only them (not the projects) builds and runs.</summary>
public sealed class PackageTests
{
    [Fact]
    public async Task Consumer_referencing_only_the_packages_builds_and_runs()
    {
        string work = Directory.CreateTempSubdirectory("macula-pack-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            string version = "0.0.0-test." + Guid.NewGuid().ToString("N")[..8];
            foreach (string project in new[] { "src/Macula", "src/Macula.Nats", "src/Macula.Hosting", "src/Macula.Cli" })
            {
                var (code, output) = await Run.CommandAsync("dotnet", $"pack {project} -c Release -o \"{feed}\" -p:Version={version} --artifacts-path \"{Path.Combine(work, "artifacts")}\" -nologo", RepoPaths.Root, TimeSpan.FromMinutes(5));
                Assert.True(code == 0, output);
            }

            Assert.True(File.Exists(Path.Combine(feed, $"Macula.{version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"Macula.Nats.{version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"Macula.Hosting.{version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"Macula.Cli.{version}.nupkg")));

            // The tool installs from the feed and runs as `macula`.
            string tools = Path.Combine(work, "tools");
            var (installCode, installOutput) = await Run.CommandAsync("dotnet", $"tool install Macula.Cli --version {version} --tool-path \"{tools}\" --add-source \"{feed}\"", work, TimeSpan.FromMinutes(5));
            Assert.True(installCode == 0, installOutput);
            var (helpCode, helpOutput) = await Run.CommandAsync(Path.Combine(tools, "macula"), "--help", work, TimeSpan.FromMinutes(1));
            Assert.True(helpCode == 0, helpOutput);
            Assert.Contains("providers", helpOutput);
            var (downCode, downOutput) = await Run.CommandAsync(Path.Combine(tools, "macula"), "services --nats nats://127.0.0.1:1 --timeout 2s", work, TimeSpan.FromMinutes(1));
            Assert.NotEqual(0, downCode);
            Assert.StartsWith("macula: ", downOutput.Trim());

            string app = Path.Combine(work, "consumer");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestoreAdditionalProjectSources>{feed}</RestoreAdditionalProjectSources>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Macula" Version="{version}" />
                    <PackageReference Include="Macula.Nats" Version="{version}" />
                    <PackageReference Include="Macula.Hosting" Version="{version}" />
                    <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.14" />
                  </ItemGroup>
                </Project>
                """);
            // An empty Directory.Build.props / Directory.Packages.props stop the repository's from applying.
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />");
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using Macula;
                using Macula.Hosting;
                using Macula.Nats;
                using Macula.Transport.InMemory;
                using Microsoft.Extensions.DependencyInjection;
                using Microsoft.Extensions.Hosting;

                var network = new InMemoryNetwork();
                await using var provider = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport() });
                await using var service = await provider.ProvideAsync<IAdder>(new Adder());
                await using var client = await MaculaNode.StartAsync(new MaculaNodeOptions { Transport = network.CreateTransport() });
                Console.WriteLine($"AddAsync(2, 3) = {await client.CreateClient<IAdder>().AddAsync(2, 3)}");

                var builder = Host.CreateApplicationBuilder();
                builder.Services.AddMacula(o => o.UseInMemory(network));
                builder.Services.AddMaculaClient<IAdder>();
                using var host = builder.Build();
                await host.StartAsync();
                Console.WriteLine($"hosted AddAsync(4, 5) = {await host.Services.GetRequiredService<IAdder>().AddAsync(4, 5)}");
                await host.StopAsync();
                Console.WriteLine($"NATS options default server: {NatsOptions.Default.Servers[0]}");

                [MaculaService]
                public interface IAdder
                {
                    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);
                }

                public sealed class Adder : IAdder
                {
                    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => Task.FromResult(a + b);
                }
                """);

            var (runCode, runOutput) = await Run.CommandAsync("dotnet", "run -c Release", app, TimeSpan.FromMinutes(5));
            Assert.True(runCode == 0, runOutput);
            Assert.Contains("AddAsync(2, 3) = 5", runOutput);
            Assert.Contains("hosted AddAsync(4, 5) = 9", runOutput);
            Assert.Contains("NATS options default server: nats://127.0.0.1:4222", runOutput);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
