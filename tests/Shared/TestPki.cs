using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Macula.Testing;

/// <summary>
/// A throw-away CA, a server certificate for 127.0.0.1 and a client certificate it signed, as PEM files in a temp
/// directory (deleted on dispose).
/// </summary>
public sealed class TestPki : IDisposable
{
    private TestPki(string dir)
    {
        Directory = dir;
    }

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.pem");

    public string ServerCertFile => Path.Combine(Directory, "server-cert.pem");

    public string ServerKeyFile => Path.Combine(Directory, "server-key.pem");

    public string ClientCertFile => Path.Combine(Directory, "client-cert.pem");

    public string ClientKeyFile => Path.Combine(Directory, "client-key.pem");

    /// <summary>The server certificate with its key, for a TLS endpoint written in the test.</summary>
    public X509Certificate2 LoadServerCertificate() =>
        X509CertificateLoader.LoadPkcs12(X509Certificate2.CreateFromPemFile(ServerCertFile, ServerKeyFile).Export(X509ContentType.Pkcs12), null);

    public static TestPki Create()
    {
        var pki = new TestPki(System.IO.Directory.CreateTempSubdirectory("macula-nats-tls-").FullName);
        var now = DateTimeOffset.UtcNow;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Macula Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        File.WriteAllText(pki.CaFile, ca.ExportCertificatePem());

        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        Issue(ca, "CN=127.0.0.1", names.Build(), "1.3.6.1.5.5.7.3.1", pki.ServerCertFile, pki.ServerKeyFile, now);
        Issue(ca, "CN=macula-client", null, "1.3.6.1.5.5.7.3.2", pki.ClientCertFile, pki.ClientKeyFile, now);
        return pki;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static void Issue(X509Certificate2 ca, string subject, X509Extension? names, string usage, string certFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (names is not null)
        {
            request.CertificateExtensions.Add(names);
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var cert = request.Create(ca, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }
}
