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

        // The limits are Macula's own (Validation), worded for configuration: "Macula:<key> <value> <problem>."
        Check(failures, nameof(options.AdvertiseTtl), options.AdvertiseTtl, Validation.AdvertiseTtlProblem(options.AdvertiseTtl));
        Check(failures, nameof(options.DiscoveryCacheTtl), options.DiscoveryCacheTtl, Validation.DiscoveryCacheTtlProblem(options.DiscoveryCacheTtl));
        Check(failures, nameof(options.MaxConcurrency), options.MaxConcurrency, Validation.MaxConcurrencyProblem(options.MaxConcurrency));
        Check(failures, nameof(options.QueueLength), options.QueueLength, Validation.QueueLengthProblem(options.QueueLength));
        Check(failures, nameof(options.MaxQueueWait), options.MaxQueueWait, Validation.MaxQueueWaitProblem(options.MaxQueueWait));
        Check(failures, nameof(options.Timeout), options.Timeout, Validation.TimeoutProblem(options.Timeout));
        Check(failures, nameof(options.MaxAttempts), options.MaxAttempts, Validation.MaxAttemptsProblem(options.MaxAttempts));
        Check(failures, nameof(options.ShutdownGracePeriod), options.ShutdownGracePeriod, Validation.ShutdownGracePeriodProblem(options.ShutdownGracePeriod));
        Check(failures, nameof(options.CompressionMinBytes), options.CompressionMinBytes, Validation.CompressionMinBytesProblem(options.CompressionMinBytes));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string key, object? value, string? problem)
    {
        if (problem is not null)
        {
            failures.Add($"Macula:{key} {value} {problem}.");
        }
    }
}
