namespace Macula.Hosting;

/// <summary>
/// How one provided service is advertised, bindable from <c>Macula:Providers:&lt;Service&gt;</c> (the service's wire
/// name, for example <c>"Providers": { "Calculator": { "Version": "2.1.0", "Tags": { "tier": "gold" } } }</c>); the
/// configuration's shape of <see cref="ProviderOptions"/>, which <c>AddMaculaProvider</c>'s callback can still change.
/// </summary>
public sealed class MaculaProviderSettings
{
    /// <summary>The provider's semantic version (<see cref="ProviderOptions.Version"/>); empty for none.</summary>
    public string? Version { get; set; }

    /// <summary>The provider's zone (<see cref="ProviderOptions.Zone"/>); empty for <c>Macula:Zone</c>.</summary>
    public string? Zone { get; set; }

    /// <summary>The provider's tags (<see cref="ProviderOptions.Tags"/>).</summary>
    public Dictionary<string, string> Tags { get; set; } = [];

    internal ProviderOptions ToProviderOptions() => new()
    {
        Version = string.IsNullOrEmpty(Version) ? null : Version,
        Zone = string.IsNullOrEmpty(Zone) ? null : Zone,
        Tags = Tags,
    };
}
