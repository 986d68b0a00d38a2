namespace Macula.Cli.Tests;

/// <summary>A DTO: on the wire a map keyed by member name, so JSON gives it as an object too.</summary>
public sealed record Parcel(string Label, int Weight, double[] Size, Dictionary<string, int> Tags, bool Fragile, string? Note);

/// <summary>The service the providers of the tests serve; the CLI calls it without knowing its types.</summary>
[MaculaService]
public interface IParcels
{
    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);

    Task<Parcel> EchoAsync(Parcel parcel, CancellationToken cancellationToken = default);

    Task FailAsync(string message, CancellationToken cancellationToken = default);

    Task<DateTime> EpochPlusAsync(long seconds, CancellationToken cancellationToken = default);

    Task<byte[]> BytesAsync(int count, CancellationToken cancellationToken = default);

    Task<double> HalfAsync(double value, CancellationToken cancellationToken = default);
}

public sealed class Parcels : IParcels
{
    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => Task.FromResult(a + b);

    public Task<Parcel> EchoAsync(Parcel parcel, CancellationToken cancellationToken = default) => Task.FromResult(parcel);

    public Task FailAsync(string message, CancellationToken cancellationToken = default) => throw new InvalidOperationException(message);

    public Task<DateTime> EpochPlusAsync(long seconds, CancellationToken cancellationToken = default) =>
        Task.FromResult(DateTime.UnixEpoch.AddSeconds(seconds));

    public Task<byte[]> BytesAsync(int count, CancellationToken cancellationToken = default) =>
        Task.FromResult(Enumerable.Range(0, count).Select(i => (byte)i).ToArray());

    public Task<double> HalfAsync(double value, CancellationToken cancellationToken = default) => Task.FromResult(value / 2);
}
