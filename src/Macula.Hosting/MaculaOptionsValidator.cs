using Microsoft.Extensions.Options;

namespace Macula.Hosting;

/// <summary>Checks <see cref="MaculaOptions"/> at start, naming the bad option and value.</summary>
internal sealed class MaculaOptionsValidator(MaculaTransportRegistration transport) : IValidateOptions<MaculaOptions>
{
    public ValidateOptionsResult Validate(string? name, MaculaOptions options)
    {
        var failures = new List<string>();
        if (Validation.TokenProblem(options.Realm) is { } realmProblem)
        {
            failures.Add($"Macula:Realm '{options.Realm}' {realmProblem}.");
        }

        if (!string.IsNullOrEmpty(options.NodeId) && Validation.NodeIdProblem(options.NodeId) is { } nodeIdProblem)
        {
            failures.Add($"Macula:NodeId '{options.NodeId}' {nodeIdProblem}.");
        }

        if (!string.IsNullOrEmpty(options.Zone) && Validation.ZoneProblem(options.Zone) is { } zoneProblem)
        {
            failures.Add($"Macula:Zone '{options.Zone}' {zoneProblem}.");
        }

        foreach (var (service, settings) in options.Providers)
        {
            try
            {
                settings.ToProviderOptions().Validate();
            }
            catch (ArgumentException ex)
            {
                // The core names ProviderOptions.X; the configuration key is Macula:Providers:<service>:X.
                failures.Add(ex.Message.Replace("ProviderOptions.", $"Macula:Providers:{service}:", StringComparison.Ordinal).Replace(" (Parameter '" + ex.ParamName + "')", string.Empty, StringComparison.Ordinal));
            }
        }

        if (transport.Validate is { } validate)
        {
            failures.AddRange(validate(options));
        }

        if (!Enum.IsDefined(options.DefaultStrategy))
        {
            failures.Add($"Macula:DefaultStrategy '{options.DefaultStrategy}' is not a SelectionStrategy.");
        }

        if (options.AdvertiseTtl < TimeSpan.FromSeconds(1))
        {
            failures.Add($"Macula:AdvertiseTtl {options.AdvertiseTtl} must be at least 1 second.");
        }

        if (options.DiscoveryCacheTtl < TimeSpan.Zero)
        {
            failures.Add($"Macula:DiscoveryCacheTtl {options.DiscoveryCacheTtl} must not be negative.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"Macula:Timeout {options.Timeout} must be positive.");
        }

        if (options.MaxAttempts is < 1)
        {
            failures.Add($"Macula:MaxAttempts {options.MaxAttempts} must be at least 1 (or empty for min(3, providers)).");
        }

        if (options.ShutdownGracePeriod < TimeSpan.Zero)
        {
            failures.Add($"Macula:ShutdownGracePeriod {options.ShutdownGracePeriod} must not be negative.");
        }

        if (options.CompressionMinBytes < 0)
        {
            failures.Add($"Macula:CompressionMinBytes {options.CompressionMinBytes} must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
