using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Macula.Generators.Model;

/// <summary>Where a diagnostic points, as plain values: a <see cref="Location"/> would pin the whole compilation in the cache.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location) =>
        location is { IsInSource: true, SourceTree: { } tree }
            ? new LocationInfo(tree.FilePath, location.SourceSpan, location.GetLineSpan().Span)
            : null;

    public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}

/// <summary>A diagnostic to report, kept apart from the model so it can travel through its own pipeline output.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> MessageArguments)
    : IComparable<DiagnosticInfo>
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] messageArguments) =>
        new(descriptor, location, new EquatableArray<string>(messageArguments));

    public Diagnostic ToDiagnostic()
    {
        var arguments = new object[MessageArguments.Count];
        for (int i = 0; i < arguments.Length; i++)
        {
            arguments[i] = MessageArguments[i];
        }

        return Diagnostic.Create(Descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, arguments);
    }

    /// <summary>Orders by file and position, so diagnostics come out in the same order on every machine.</summary>
    public int CompareTo(DiagnosticInfo? other)
    {
        if (other is null)
        {
            return 1;
        }

        int result = string.CompareOrdinal(Location?.FilePath, other.Location?.FilePath);
        if (result == 0)
        {
            result = (Location?.Span.Start ?? -1).CompareTo(other.Location?.Span.Start ?? -1);
        }

        if (result == 0)
        {
            result = string.CompareOrdinal(Descriptor.Id, other.Descriptor.Id);
        }

        if (result == 0)
        {
            result = string.CompareOrdinal(string.Join("\u0001", MessageArguments), string.Join("\u0001", other.MessageArguments));
        }

        return result;
    }
}
