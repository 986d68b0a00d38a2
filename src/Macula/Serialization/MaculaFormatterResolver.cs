using System.Collections.Concurrent;
using MessagePack;
using MessagePack.Formatters;

namespace Macula.Serialization;

/// <summary>
/// The resolver Macula reads and writes with: the user's resolvers first (in order), then every generated resolver,
/// then <see cref="BuiltinFormatterResolver"/>. No dynamic (Reflection.Emit) resolver is ever consulted: a type none
/// of them knows fails with <see cref="FormatterNotRegisteredException"/>, named in the error.
/// </summary>
internal sealed class MaculaFormatterResolver : IFormatterResolver
{
    private readonly IFormatterResolver[] _user;
    private readonly ConcurrentDictionary<Type, object> _found = new();

    public MaculaFormatterResolver(IEnumerable<IFormatterResolver>? user)
    {
        _user = user is null ? [] : [.. user];
        foreach (var resolver in _user)
        {
            ArgumentNullException.ThrowIfNull(resolver, "resolvers");
        }
    }

    /// <summary>The resolvers in the order they are asked (the generated ones as registered now).</summary>
    public IReadOnlyList<IFormatterResolver> Chain => [.. _user, .. GeneratedFormatterResolvers.All, BuiltinFormatterResolver.Instance];

    public IMessagePackFormatter<T>? GetFormatter<T>()
    {
        // MessagePack-CSharp's collection formatters ask for their element's formatter on every call: a process
        // usually has one resolver, so the last answer per type sits in a static field and costs a compare.
        var last = Last<T>.Entry;
        if (last is not null && ReferenceEquals(last.Resolver, this))
        {
            return last.Formatter;
        }

        if (_found.TryGetValue(typeof(T), out object? known))
        {
            Last<T>.Entry = new Found<T>(this, (IMessagePackFormatter<T>)known);
            return (IMessagePackFormatter<T>)known;
        }

        var formatter = Find<T>();
        if (formatter is not null)
        {
            // Only hits are kept: an assembly that loads later may register the resolver of a type not found yet.
            _found.TryAdd(typeof(T), formatter);
            Last<T>.Entry = new Found<T>(this, formatter);
        }

        return formatter;
    }

    private IMessagePackFormatter<T>? Find<T>()
    {
        foreach (var resolver in _user)
        {
            if (resolver.GetFormatter<T>() is { } formatter)
            {
                return formatter;
            }
        }

        foreach (var resolver in GeneratedFormatterResolvers.All)
        {
            if (resolver.GetFormatter<T>() is { } formatter)
            {
                return formatter;
            }
        }

        return BuiltinFormatterResolver.Instance.GetFormatter<T>();
    }

    private sealed record Found<T>(MaculaFormatterResolver Resolver, IMessagePackFormatter<T> Formatter);

    private static class Last<T>
    {
        public static Found<T>? Entry;
    }
}
