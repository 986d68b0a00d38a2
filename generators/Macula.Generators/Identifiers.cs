using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;

namespace Macula.Generators;

/// <summary>Turns names into C# identifiers.</summary>
internal static class Identifiers
{
    /// <summary>Prefixes '@' to a reserved keyword, so a parameter called <c>@class</c> stays one.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    public static string Unescape(string name) => name.StartsWith("@", StringComparison.Ordinal) ? name.Substring(1) : name;

    public static string ToCamelCase(string name)
    {
        name = Unescape(name);
        if (name.Length == 0 || !char.IsUpper(name[0]))
        {
            return name;
        }

        return char.ToLower(name[0], CultureInfo.InvariantCulture) + name.Substring(1);
    }

    public static string ToPascalCase(string name)
    {
        name = Unescape(name);
        if (name.Length == 0 || !char.IsLower(name[0]))
        {
            return name;
        }

        return char.ToUpper(name[0], CultureInfo.InvariantCulture) + name.Substring(1);
    }
}

/// <summary>
/// The names already used in one C# scope. Generated names are taken only after every user name is reserved, so a
/// parameter called <c>reader</c> or <c>count</c> can never collide with a generated local.
/// </summary>
internal sealed class NameScope
{
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    public NameScope(IEnumerable<string> reserved)
    {
        foreach (var name in reserved)
        {
            _taken.Add(Identifiers.Unescape(name));
        }
    }

    /// <summary>Takes <paramref name="candidate"/>, or the first of candidate2, candidate3... still free; returns it escaped.</summary>
    public string Take(string candidate)
    {
        candidate = Identifiers.Unescape(candidate);
        string name = candidate;
        for (int i = 2; !_taken.Add(name); i++)
        {
            name = candidate + i.ToString(CultureInfo.InvariantCulture);
        }

        return Identifiers.Escape(name);
    }
}
