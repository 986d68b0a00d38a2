namespace Macula.Transport;

/// <summary>
/// Handles one message of a subscription. Messages of one subscription are delivered in order: the transport awaits
/// the handler before it delivers the next one, so a handler that does long work should start it and return. A
/// handler that throws does not stop its subscription: delivery goes on with the next message.
/// </summary>
public delegate ValueTask MessageHandler(TransportMessage message);
