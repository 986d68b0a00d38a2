using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Macula.Transport;

namespace Macula.Nats.Internal;

/// <summary>Client TLS settings: the system's trust store, or a CA file as the only trusted root.</summary>
internal static class NatsTls
{
    public static X509Certificate2Collection? LoadTrustedRoots(string? caFile)
    {
        if (caFile is null)
        {
            return null;
        }

        try
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            if (roots.Count == 0)
            {
                roots.Add(X509CertificateLoader.LoadCertificateFromFile(caFile));
            }

            return roots;
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new MaculaTransportException(TransportErrorKind.ConnectionRefused, $"The TLS CA file '{caFile}' (TlsCaFile) could not be read: {e.Message}", e);
        }
    }

    public static SslClientAuthenticationOptions CreateOptions(string host, X509Certificate2Collection? trustedRoots) => new()
    {
        TargetHost = host,
        RemoteCertificateValidationCallback = trustedRoots is null ? null : (_, certificate, _, errors) => Validate(certificate, errors, trustedRoots),
    };

    private static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection trustedRoots)
    {
        // The chain is rebuilt below against the given CA alone; the name must still match the server we dialled.
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (certificate is X509Certificate2 certificate2)
        {
            return chain.Build(certificate2);
        }

        using var loaded = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(loaded);
    }
}
