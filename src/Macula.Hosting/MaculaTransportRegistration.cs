using Macula.Transport;

namespace Macula.Hosting;

/// <summary>
/// The transport a hosted node starts with: made when the host starts the node (which owns and disposes it), and
/// checked with the rest of <see cref="MaculaOptions"/> at start. One is registered; the last <c>Use...</c> call wins.
/// </summary>
/// <param name="Name">What the transport is, for messages.</param>
/// <param name="Create">Makes the transport from the container and the bound options.</param>
/// <param name="Validate">The problems of the options this transport reads (each naming its <c>Macula:...</c> key), or null for none to check.</param>
internal sealed record MaculaTransportRegistration(string Name, Func<IServiceProvider, MaculaOptions, IMaculaTransport> Create, Func<MaculaOptions, IEnumerable<string>>? Validate = null);
