using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Macula.Dht;
using Macula.Discovery;
using Macula.Security;

namespace Macula.Benchmarks.Security;

/// <summary>
/// The cost of the signed DHT: Ed25519 through NSec (what Macula uses) beside NATS.NKeys' managed Ed25519 and the
/// BCL's ECDSA P-256 (the alternatives considered), and a provider record's sign and check as the DHT does them.
/// <c>dotnet run -c Release --project benchmarks/Macula.Benchmarks -- --filter '*Signature*' --job short</c>
/// </summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private static readonly DhtId Key = DhtId.ForService("Calculator");
    private readonly byte[] _message = RandomNumberGenerator.GetBytes(160);
    private readonly byte[] _signature = new byte[64];
    private NodeIdentity _identity = null!;
    private NATS.NKeys.KeyPair _nkeys = null!;
    private byte[] _nkeysSignature = null!;
    private ECDsa _ecdsa = null!;
    private byte[] _ecdsaSignature = null!;
    private DhtSecurity _signer = null!;
    private DhtSecurity _checker = null!;
    private ProviderRecord _record = null!;
    private SignedRecord _signed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _identity = NodeIdentity.Create();
        _identity.Sign("ctx"u8, _message, _signature);
        _nkeys = NATS.NKeys.KeyPair.CreatePair(NATS.NKeys.PrefixByte.User);
        _nkeysSignature = new byte[64];
        _nkeys.Sign(_message, _nkeysSignature);
        _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _ecdsaSignature = _ecdsa.SignData(_message, HashAlgorithmName.SHA256);
        _signer = DhtSecurity.Open("bench", _identity);
        _checker = DhtSecurity.Open("bench");
        _record = new ProviderRecord("node-1", "macula.bench.rpc.Calculator.node-1", new Dictionary<string, string> { ["version"] = "2.1.0", ["zone"] = "eu-west" }, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow);
        _signed = _signer.Sign(Key, _record);
    }

    [Benchmark(Baseline = true)]
    public void Sign_NSec() => _identity.Sign("ctx"u8, _message, _signature);

    [Benchmark]
    public bool Verify_NSec() => Signing.Verify(_identity.PublicKeyBytes, "ctx"u8, _message, _signature);

    [Benchmark]
    public void Sign_NKeys() => _nkeys.Sign(_message, _nkeysSignature);

    [Benchmark]
    public bool Verify_NKeys() => _nkeys.Verify(_message, _nkeysSignature);

    [Benchmark]
    public byte[] Sign_EcdsaP256() => _ecdsa.SignData(_message, HashAlgorithmName.SHA256);

    [Benchmark]
    public bool Verify_EcdsaP256() => _ecdsa.VerifyData(_message, _ecdsaSignature, HashAlgorithmName.SHA256);

    /// <summary>What a provider pays per (re-)advertisement: canonical bytes and one signature.</summary>
    [Benchmark]
    public object SignRecord() => _signer.Sign(Key, _record);

    /// <summary>What a replica or a lookup pays for a record it verified before (the cache hit of every replica's copy).</summary>
    [Benchmark]
    public bool CheckRecord_Seen() => _checker.Check(Key, _signed, DateTimeOffset.UtcNow).Accepted;

    /// <summary>What it pays for a record it has not seen: canonical bytes, trust policy and one verification.</summary>
    [Benchmark]
    public bool CheckRecord_New()
    {
        var record = _signer.Sign(Key, _record);
        return _checker.Check(Key, record, DateTimeOffset.UtcNow).Accepted;
    }
}
