using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Macula.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private sealed partial class Parser
    {
        private const string SupportedTypes =
            "use a primitive, string, decimal, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, Half, Int128, BigInteger, Uri, Version, " +
            "byte[] (or ReadOnlyMemory<byte>), an enum, a nullable value type, an array, a List, set, dictionary or immutable collection " +
            "(or one of their interfaces), a ValueTuple, or your own class, record or struct";

        private readonly HashSet<string> _failedTypes = new(StringComparer.Ordinal);
        private readonly HashSet<string> _externalTypes = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, ResolverEntry> _entries = new(StringComparer.Ordinal);
        private readonly Dictionary<string, HashSet<string>> _references = new(StringComparer.Ordinal);
        private readonly Stack<string> _owners = new();
        private bool _sawErrorType;

        /// <summary>Where a type is used, for the message and location of a diagnostic about it.</summary>
        private readonly record struct Usage(string Description, LocationInfo? Location);

        /// <summary>
        /// Finds how to read and write <paramref name="type"/>, collecting every user type it reaches and the resolver
        /// entries it needs; reports and returns <see langword="null"/> when some part of it cannot be serialized.
        /// </summary>
        private TypeRef? ResolveType(ITypeSymbol type, Usage usage)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            string display = Display(type);
            var resolved = new TypeRef(display, null, type.IsReferenceType, type.IsValueType);
            switch (type)
            {
                case IErrorTypeSymbol:
                    // The compiler already reports the missing type; emitting around it would only add noise.
                    _sawErrorType = true;
                    return null;
                case ITypeParameterSymbol:
                    // A type argument of a generic DTO: its formatter is resolved for each closed type at run time.
                    return resolved;
                case IArrayTypeSymbol array:
                    if (!array.IsSZArray)
                    {
                        return Unsupported(type, usage, "multi-dimensional arrays are not supported; use a jagged array (T[][]) or a List<List<T>>");
                    }

                    if (array.ElementType.SpecialType == SpecialType.System_Byte)
                    {
                        return resolved;
                    }

                    return Composite(type, resolved, usage, KnownTypes.MessagePack.Formatters.ArrayFormatter, array.ElementType);
                case INamedTypeSymbol named:
                    if (InlineName(named) is { } inline)
                    {
                        return resolved with { Inline = inline };
                    }

                    if (IsBuiltin(named))
                    {
                        return resolved;
                    }

                    if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
                    {
                        return Composite(type, resolved, usage, KnownTypes.MessagePack.Formatters.NullableFormatter, named.TypeArguments[0]);
                    }

                    if (CollectionFormatter(named) is { } collection)
                    {
                        return Composite(type, resolved, usage, collection, [.. named.TypeArguments]);
                    }

                    if (FindAttribute(named.OriginalDefinition, KnownTypes.MetadataNames.MessagePackFormatterAttribute, inherited: false) is { } typeFormatter)
                    {
                        // The type's author chose its formatter: it goes into the resolver as it is.
                        var problems = new List<DiagnosticInfo>();
                        string? activation = FormatterActivation(typeFormatter, named, usage, problems);
                        foreach (var problem in problems)
                        {
                            Report(problem);
                        }

                        if (activation is null)
                        {
                            return null;
                        }

                        AddEntry(named, activation);
                        return resolved;
                    }

                    return UserType(named, resolved, usage);
                default:
                    return Unsupported(type, usage, "Macula has no formatter for it; " + SupportedTypes);
            }
        }

        private TypeRef? Composite(ITypeSymbol type, TypeRef resolved, Usage usage, string formatter, params ITypeSymbol[] arguments)
        {
            bool ok = true;
            var names = new List<string>();
            foreach (var argument in arguments)
            {
                ok &= ResolveType(argument, usage) is not null;
                names.Add(TypeofName(argument));
            }

            if (ok)
            {
                AddEntry(type, "new " + formatter + "<" + string.Join(", ", names) + ">()");
            }

            return ok ? resolved : null;
        }

        /// <summary>Adds a resolver entry for a closed type (a generic DTO's own members, still open, get theirs per closed type).</summary>
        private void AddEntry(ITypeSymbol type, string formatter)
        {
            if (!ContainsTypeParameter(type))
            {
                string name = TypeofName(type);
                if (!_entries.ContainsKey(name))
                {
                    _entries.Add(name, new ResolverEntry(name, formatter));
                }
            }
        }

        private TypeRef? UserType(INamedTypeSymbol type, TypeRef resolved, Usage usage)
        {
            var definition = type.OriginalDefinition;
            string key = definition.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            if (_owners.Count > 0)
            {
                _references[_owners.Peek()].Add(key);
            }

            if (_failedTypes.Contains(key))
            {
                return null;
            }

            if (_externalTypes.Contains(key))
            {
                return resolved;
            }

            if (!_userTypes.ContainsKey(key))
            {
                if (UserTypeProblem(definition) is { } reason)
                {
                    _failedTypes.Add(key);
                    return Unsupported(type, usage, reason);
                }

                // Marked before the members are visited, so a type that refers to itself (or to a type that refers
                // back to it) just names its formatter instead of recursing forever.
                _userTypes[key] = null;
                _references[key] = new HashSet<string>(StringComparer.Ordinal);
                _owners.Push(key);
                var problems = new List<DiagnosticInfo>();
                UserTypeModel? model;
                int errors = _errorCount;
                try
                {
                    model = definition.TypeKind == TypeKind.Enum ? EnumModel(definition)
                        : definition.IsAbstract || definition.TypeKind == TypeKind.Interface ? UnionModel(definition, usage, problems)
                        : ObjectModel(definition, usage, problems);
                }
                finally
                {
                    _owners.Pop();
                }

                if (problems.Count > 0 && definition.DeclaringSyntaxReferences.Length == 0 && _errorCount == errors)
                {
                    // A type from another assembly that the generator cannot write (a third-party type): its formatter
                    // comes from a resolver the user gives the node, and the build says so.
                    _userTypes.Remove(key);
                    _externalTypes.Add(key);
                    var first = problems[0].MessageArguments;
                    string why = problems[0].Descriptor == DiagnosticDescriptors.UnsupportedType ? first[first.Count - 1] : first[0] + ": " + first[1];
                    Report(DiagnosticDescriptors.ResolvedAtRunTime, usage.Location, type.ToDisplayString(), usage.Description, why);
                    return resolved;
                }

                foreach (var problem in problems)
                {
                    Report(problem);
                }

                if (model is null || problems.Count > 0)
                {
                    _userTypes.Remove(key);
                    _failedTypes.Add(key);
                    return null;
                }

                _userTypes[key] = model;
            }

            if (type.IsGenericType)
            {
                if (!ClosedMembers(type, usage))
                {
                    return null;
                }

                string arguments = string.Join(", ", TypeArgumentNames(type));
                AddEntry(type, "new " + FormatterTypeName(definition) + "<" + arguments + ">()");
            }
            else
            {
                AddEntry(type, FormatterTypeName(definition) + ".Instance");
            }

            return resolved;
        }

        /// <summary>The members of a closed generic DTO, resolved with its type arguments, so their formatters get entries too.</summary>
        private bool ClosedMembers(INamedTypeSymbol type, Usage usage)
        {
            if (ContainsTypeParameter(type) || _userTypes[type.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)] is not { } model)
            {
                return true;
            }

            bool ok = true;
            foreach (var member in model.Members)
            {
                foreach (var symbol in type.GetMembers(Identifiers.Unescape(member.Name)))
                {
                    var memberType = symbol switch
                    {
                        IPropertySymbol property => property.Type,
                        IFieldSymbol field => field.Type,
                        _ => null,
                    };
                    if (memberType is not null && member.Formatter.CustomFormatter is null)
                    {
                        ok &= ResolveType(memberType, new Usage("property '" + type.Name + "." + symbol.Name + "'", usage.Location)) is not null;
                    }
                }
            }

            return ok;
        }

        private string? UserTypeProblem(INamedTypeSymbol type)
        {
            if (type.TypeKind == TypeKind.Enum)
            {
                return IsAccessible(type) ? null : "it is not accessible to generated code; declare it (and every type that contains it) public or internal";
            }

            if (type.SpecialType == SpecialType.System_Object || IsSystemType(type))
            {
                return "Macula has no formatter for it; " + SupportedTypes;
            }

            if (type.TypeKind == TypeKind.Interface && !HasUnion(type))
            {
                return "it is an interface without [Union] cases, so the reader would not know which type to create; use a concrete class, record or struct, " +
                    "or declare [MessagePack.Union(key, typeof(Implementation))] for each implementation (or use one of the supported collection interfaces)";
            }

            if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct or TypeKind.Interface) || type.IsRefLikeType)
            {
                return "Macula has no formatter for it; " + SupportedTypes;
            }

            if (!type.IsAbstract && type.TypeKind != TypeKind.Interface && HasUnion(type))
            {
                return "it has [Union] cases but is not abstract, and a union is read back as one of its cases; make it abstract (or an interface)";
            }

            if (type.IsAbstract && type.TypeKind == TypeKind.Class && !HasUnion(type))
            {
                return "it is abstract, so the reader would not know which type to create; use a concrete class or record, " +
                    "or declare [MessagePack.Union(key, typeof(Derived))] for each derived type";
            }

            if (!IsAccessible(type))
            {
                return "it is not accessible to generated code; declare it (and every type that contains it) public or internal";
            }

            return null;
        }

        private UserTypeModel EnumModel(INamedTypeSymbol type)
        {
            var underlying = type.EnumUnderlyingType?.SpecialType switch
            {
                SpecialType.System_Byte => new EnumUnderlyingType("byte", "ReadByte"),
                SpecialType.System_SByte => new EnumUnderlyingType("sbyte", "ReadSByte"),
                SpecialType.System_Int16 => new EnumUnderlyingType("short", "ReadInt16"),
                SpecialType.System_UInt16 => new EnumUnderlyingType("ushort", "ReadUInt16"),
                SpecialType.System_UInt32 => new EnumUnderlyingType("uint", "ReadUInt32"),
                SpecialType.System_Int64 => new EnumUnderlyingType("long", "ReadInt64"),
                SpecialType.System_UInt64 => new EnumUnderlyingType("ulong", "ReadUInt64"),
                _ => new EnumUnderlyingType("int", "ReadInt32"),
            };
            return NewUserTypeModel(type, UserTypeKind.Enum) with { EnumUnderlying = underlying };
        }

        private UserTypeModel? UnionModel(INamedTypeSymbol type, Usage usage, List<DiagnosticInfo> problems)
        {
            var cases = new List<UnionCase>();
            var keys = new HashSet<int>();
            var types = new HashSet<string>(StringComparer.Ordinal);
            var names = new NameScope(new[] { "Resolver", "For" });
            if (type.IsGenericType)
            {
                problems.Add(TypeProblem(type, usage, "generic [Union] types are not supported; declare the union on a non-generic abstract type or interface"));
                return null;
            }

            foreach (var attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() != KnownTypes.MetadataNames.UnionAttribute)
                {
                    continue;
                }

                var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken)) ?? usage.Location;
                if (attribute.ConstructorArguments.Length != 2 || attribute.ConstructorArguments[0].Value is not int key || attribute.ConstructorArguments[1].Value is not INamedTypeSymbol subType)
                {
                    problems.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedType, location, type.ToDisplayString(), usage.Description,
                        "its [Union] names the case by a string; name it with typeof(...), so the generator can see the type"));
                    continue;
                }

                string why = subType.IsAbstract || subType.TypeKind == TypeKind.Interface ? "is abstract"
                    : !DerivesFrom(subType, type) ? "does not derive from " + type.Name
                    : !keys.Add(key) ? "has the key " + key.ToString(CultureInfo.InvariantCulture) + " of another case"
                    : !types.Add(subType.ToDisplayString()) ? "is named twice"
                    : string.Empty;
                if (why.Length > 0)
                {
                    problems.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedType, location, type.ToDisplayString(), usage.Description,
                        "its [Union] case '" + subType.ToDisplayString() + "' " + why + "; each case needs its own key and a concrete type that derives from the union"));
                    continue;
                }

                if (ResolveType(subType, new Usage("the [Union] case '" + subType.Name + "' of '" + type.Name + "'", location)) is null)
                {
                    continue;
                }

                cases.Add(new UnionCase(key, Display(subType), names.Take(subType.Name), subType.IsValueType));
            }

            cases.Sort(static (a, b) => a.Key.CompareTo(b.Key));
            return NewUserTypeModel(type, UserTypeKind.Union) with { Cases = new EquatableArray<UnionCase>(cases) };
        }

        /// <summary>A member found on a DTO, before the generator decides how to read it back.</summary>
        private sealed class Candidate
        {
            public Candidate(ISymbol symbol, ITypeSymbol type, AttributeData? key)
            {
                Symbol = symbol;
                Type = type;
                KeyAttribute = key;
            }

            public ISymbol Symbol { get; }

            public ITypeSymbol Type { get; }

            public AttributeData? KeyAttribute { get; }

            public int? IntKey => KeyAttribute?.ConstructorArguments.Length == 1 ? KeyAttribute.ConstructorArguments[0].Value as int? : null;

            public string? StringKey => KeyAttribute?.ConstructorArguments.Length == 1 ? KeyAttribute.ConstructorArguments[0].Value as string : null;
        }

        private UserTypeModel? ObjectModel(INamedTypeSymbol type, Usage usage, List<DiagnosticInfo> problems)
        {
            var contract = FindAttribute(type, KnownTypes.MetadataNames.MessagePackObjectAttribute, inherited: true);
            bool keyAsPropertyName = contract is { ConstructorArguments.Length: 1 } && contract.ConstructorArguments[0].Value is true;
            var candidates = Candidates(type, problems);
            var constructor = FindConstructor(type, candidates, usage, problems);
            if (constructor is null)
            {
                return null;
            }

            bool setsRequired = constructor.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownTypes.MetadataNames.SetsRequiredMembersAttribute);
            var bound = new Dictionary<ISymbol, IParameterSymbol>(SymbolEqualityComparer.Default);
            foreach (var parameter in constructor.Parameters)
            {
                bound.Add(MatchMember(candidates, parameter)!.Symbol, parameter);
            }

            var layout = contract is not null && !keyAsPropertyName ? ObjectLayout.Array : ObjectLayout.Map;
            bool sawIntKey = false, sawStringKey = false;
            var members = new List<MemberModel>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var candidate in candidates)
            {
                var symbol = candidate.Symbol;
                var location = LocationOf(symbol, usage.Location);
                string name = symbol.Name;
                if (contract is not null && !keyAsPropertyName)
                {
                    if (candidate.KeyAttribute is null)
                    {
                        problems.Add(MemberProblem(type, symbol, location, "it has no [Key] and its type is [MessagePackObject], so it would not be on the wire; give it a [Key(n)] (or [Key(\"name\")]), or mark it [IgnoreMember]"));
                        continue;
                    }

                    sawIntKey |= candidate.IntKey is not null;
                    sawStringKey |= candidate.StringKey is not null;
                }
                else if (keyAsPropertyName && candidate.IntKey is not null)
                {
                    problems.Add(MemberProblem(type, symbol, location, "it has an integer [Key] but its type is [MessagePackObject(keyAsPropertyName: true)], which writes members by name; give it a [Key(\"name\")] or none"));
                    continue;
                }

                string key = candidate.StringKey ?? name;
                int index = candidate.IntKey ?? members.Count;
                if (candidate.IntKey is < 0)
                {
                    problems.Add(MemberProblem(type, symbol, location, "its [Key] is negative; keys index an array, so use 0 or more"));
                    continue;
                }

                if (!keys.Add(candidate.IntKey is { } intKey ? "#" + intKey.ToString(CultureInfo.InvariantCulture) : key))
                {
                    problems.Add(MemberProblem(type, symbol, location, "its key is also another member's; give each member its own [Key]"));
                    continue;
                }

                var assignment = Assignment(type, candidate, bound, setsRequired, location, problems, out bool required, out string? fillElement);
                if (assignment is null)
                {
                    continue;
                }

                var formatter = MemberFormatter(type, candidate, location, problems);
                if (formatter is null)
                {
                    continue;
                }

                string? defaultValue = bound.TryGetValue(symbol, out var parameter) && parameter.HasExplicitDefaultValue ? DefaultLiteral(parameter) : null;
                members.Add(new MemberModel(Identifiers.Escape(name), Display(candidate.Type), formatter, key, index, assignment.Value, required, defaultValue, fillElement));
            }

            if (sawIntKey && sawStringKey)
            {
                problems.Add(TypeProblem(type, usage, "its [Key]s mix integers and strings; use integers (an array, MessagePack-CSharp's default) or strings (a map) for all of them"));
                return null;
            }

            if (sawStringKey)
            {
                layout = ObjectLayout.Map;
            }

            var arguments = new List<ConstructorArgument>();
            foreach (var parameter in constructor.Parameters)
            {
                var member = MatchMember(candidates, parameter)!.Symbol;
                int at = members.FindIndex(m => Identifiers.Unescape(m.Name) == member.Name);
                if (at >= 0)
                {
                    arguments.Add(new ConstructorArgument(at));
                }
            }

            return NewUserTypeModel(type, UserTypeKind.Object) with
            {
                Layout = layout,
                Members = new EquatableArray<MemberModel>(members),
                ConstructorArguments = new EquatableArray<ConstructorArgument>(arguments),
                HasParameterlessConstruction = constructor.Parameters.Length == 0,
            };
        }

        /// <summary>The public fields and properties of a type and its bases (base members first), minus the ignored ones.</summary>
        private List<Candidate> Candidates(INamedTypeSymbol type, List<DiagnosticInfo> problems)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var levels = new List<List<Candidate>>();
            for (var current = type; current is not null && !IsSystemType(current) && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                var level = new List<Candidate>();
                foreach (var member in current.GetMembers())
                {
                    ITypeSymbol memberType;
                    switch (member)
                    {
                        case IFieldSymbol { IsStatic: false, IsConst: false, IsImplicitlyDeclared: false } field:
                            memberType = field.Type;
                            break;
                        case IPropertySymbol { IsStatic: false, IsIndexer: false } property:
                            memberType = property.Type;
                            break;
                        default:
                            continue;
                    }

                    // A member a derived type overrides or hides is the derived one's.
                    if (!seen.Add(member.Name) || IsIgnored(member))
                    {
                        continue;
                    }

                    var key = FindAttribute(member, KnownTypes.MetadataNames.KeyAttribute, inherited: false);
                    if (member.DeclaredAccessibility != Accessibility.Public)
                    {
                        if (key is not null)
                        {
                            problems.Add(MemberProblem(type, member, LocationOf(member, null), "it has a [Key] but is not public, and generated code reads and writes members without reflection; make it public, or remove the [Key]"));
                        }

                        continue;
                    }

                    if (member is IPropertySymbol { GetMethod: var getter } && (getter is null || getter.DeclaredAccessibility != Accessibility.Public))
                    {
                        if (key is not null)
                        {
                            problems.Add(MemberProblem(type, member, LocationOf(member, null), "it has a [Key] but no public getter to write it from; give it one, or remove the [Key]"));
                        }

                        continue;
                    }

                    level.Add(new Candidate(member, memberType, key));
                }

                levels.Insert(0, level);
            }

            var all = new List<Candidate>();
            foreach (var level in levels)
            {
                all.AddRange(level);
            }

            return all;
        }

        /// <summary>
        /// The constructor generated code calls: [SerializationConstructor], else a positional record's, else the
        /// accessible one with the most parameters that all name a member of the same type (the parameterless one counts).
        /// </summary>
        private IMethodSymbol? FindConstructor(INamedTypeSymbol type, List<Candidate> candidates, Usage usage, List<DiagnosticInfo> problems)
        {
            IMethodSymbol? chosen = null;
            foreach (var constructor in type.InstanceConstructors)
            {
                if (constructor.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownTypes.MetadataNames.SerializationConstructorAttribute))
                {
                    chosen = constructor;
                }
            }

            chosen ??= FindPrimaryConstructor(type);
            if (chosen is not null)
            {
                if (!IsCallable(chosen))
                {
                    problems.Add(TypeProblem(type, usage, "the constructor it names for deserialization is not accessible to generated code; make it public"));
                    return null;
                }

                foreach (var parameter in chosen.Parameters)
                {
                    if (MatchMember(candidates, parameter) is null)
                    {
                        problems.Add(TypeProblem(type, usage, "its constructor parameter '" + parameter.Name + "' has no public member of the same name and type to write it from; declare one, or remove the parameter"));
                        return null;
                    }
                }

                return chosen;
            }

            foreach (var constructor in type.InstanceConstructors)
            {
                if (!IsCallable(constructor) || (chosen is not null && constructor.Parameters.Length <= chosen.Parameters.Length))
                {
                    continue;
                }

                bool matches = true;
                foreach (var parameter in constructor.Parameters)
                {
                    matches &= MatchMember(candidates, parameter) is not null;
                }

                if (matches)
                {
                    chosen = constructor;
                }
            }

            if (chosen is null)
            {
                problems.Add(TypeProblem(type, usage, "it has no public parameterless constructor and no public constructor whose parameters are all named after its members; add one, or declare it as a positional record"));
            }

            return chosen;
        }

        private bool IsCallable(IMethodSymbol constructor) =>
            constructor.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal
            && _compilation.IsSymbolAccessibleWithin(constructor, _compilation.Assembly);

        private static Candidate? MatchMember(List<Candidate> candidates, IParameterSymbol parameter)
        {
            foreach (var candidate in candidates)
            {
                if (string.Equals(candidate.Symbol.Name, parameter.Name, StringComparison.OrdinalIgnoreCase) && SymbolEqualityComparer.Default.Equals(candidate.Type, parameter.Type))
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>How a member that arrived gets into the object; reports (and returns null for) a member that cannot.</summary>
        private MemberAssignment? Assignment(INamedTypeSymbol type, Candidate candidate, Dictionary<ISymbol, IParameterSymbol> bound, bool setsRequired, LocationInfo? location, List<DiagnosticInfo> problems, out bool required, out string? fillElement)
        {
            var symbol = candidate.Symbol;
            required = false;
            fillElement = null;
            if (bound.ContainsKey(symbol))
            {
                return MemberAssignment.Constructor;
            }

            required = !setsRequired && symbol is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true };
            string why;
            switch (symbol)
            {
                case IFieldSymbol { IsReadOnly: false }:
                    return required ? MemberAssignment.Initializer : MemberAssignment.Setter;
                case IFieldSymbol:
                    why = "it is a readonly field";
                    break;
                case IPropertySymbol { SetMethod: { } setter } when IsAccessibleSetter(setter):
                    return required || setter.IsInitOnly ? MemberAssignment.Initializer : MemberAssignment.Setter;
                case IPropertySymbol { SetMethod: { } setter } property:
                    if (FillableElement(property.Type) is { } setElement)
                    {
                        fillElement = setElement;
                        return MemberAssignment.Fill;
                    }

                    why = "its setter is " + AccessibilityName(setter.DeclaredAccessibility);
                    break;
                case IPropertySymbol property:
                    if (FillableElement(property.Type) is { } element)
                    {
                        fillElement = element;
                        return MemberAssignment.Fill;
                    }

                    if (!IsAutoProperty(property))
                    {
                        // A computed property is not state: it is written only when marked [Key], and never read back.
                        return candidate.KeyAttribute is null ? null : MemberAssignment.WriteOnly;
                    }

                    why = "it is get-only";
                    break;
                default:
                    return null;
            }

            problems.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberCannotBeRead, location, type.Name + "." + symbol.Name, why, Identifiers.ToCamelCase(symbol.Name)));
            return null;
        }

        private bool IsAccessibleSetter(IMethodSymbol setter) =>
            setter.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal
            && _compilation.IsSymbolAccessibleWithin(setter, _compilation.Assembly);

        /// <summary>A property without a setter is state when the compiler gives it a backing field; from metadata, that is not visible.</summary>
        private static bool IsAutoProperty(IPropertySymbol property)
        {
            foreach (var member in property.ContainingType.GetMembers())
            {
                if (member is IFieldSymbol { AssociatedSymbol: { } associated } && SymbolEqualityComparer.Default.Equals(associated, property))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The element type of a get-only collection the formatter can clear and fill (an ICollection&lt;T&gt;, not an array).</summary>
        private static string? FillableElement(ITypeSymbol type)
        {
            if (type is IArrayTypeSymbol || type is not INamedTypeSymbol named)
            {
                return null;
            }

            if (named.TypeKind == TypeKind.Interface && MetadataName(named.OriginalDefinition) == "System.Collections.Generic.ICollection`1")
            {
                return Display(named.TypeArguments[0]);
            }

            foreach (var candidate in named.AllInterfaces)
            {
                if (MetadataName(candidate.OriginalDefinition) == "System.Collections.Generic.ICollection`1")
                {
                    return Display(candidate.TypeArguments[0]);
                }
            }

            return null;
        }

        private TypeRef? MemberFormatter(INamedTypeSymbol owner, Candidate candidate, LocationInfo? location, List<DiagnosticInfo> problems)
        {
            var symbol = candidate.Symbol;
            var typeSyntax = SyntaxOf<PropertyDeclarationSyntax>(symbol)?.Type ?? SyntaxOf<ParameterSyntax>(symbol)?.Type ?? (SyntaxOf<VariableDeclaratorSyntax>(symbol)?.Parent as VariableDeclarationSyntax)?.Type;
            var usage = new Usage((symbol is IFieldSymbol ? "field '" : "property '") + owner.Name + "." + symbol.Name + "'", LocationInfo.From(typeSyntax) ?? location);
            if (FindAttribute(symbol, KnownTypes.MetadataNames.MessagePackFormatterAttribute, inherited: false) is { } attribute)
            {
                string? custom = FormatterActivation(attribute, candidate.Type, usage, problems);
                return custom is null ? null : new TypeRef(Display(candidate.Type), null, candidate.Type.IsReferenceType, candidate.Type.IsValueType, custom);
            }

            return ResolveType(candidate.Type, usage);
        }

        /// <summary>How generated code gets the formatter a [MessagePackFormatter] names: its static Instance, or a new one.</summary>
        private string? FormatterActivation(AttributeData attribute, ITypeSymbol formatted, Usage usage, List<DiagnosticInfo> problems)
        {
            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol formatter)
            {
                problems.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedType, usage.Location, formatted.ToDisplayString(), usage.Description,
                    "its [MessagePackFormatter] passes constructor arguments, which generated code cannot; give the formatter a public parameterless constructor or a static Instance"));
                return null;
            }

            string name = Display(formatter);
            foreach (var member in formatter.GetMembers("Instance"))
            {
                if (member is IFieldSymbol { IsStatic: true, DeclaredAccessibility: Accessibility.Public } or IPropertySymbol { IsStatic: true, DeclaredAccessibility: Accessibility.Public })
                {
                    return name + ".Instance";
                }
            }

            foreach (var constructor in formatter.InstanceConstructors)
            {
                if (constructor.Parameters.Length == 0 && constructor.DeclaredAccessibility == Accessibility.Public)
                {
                    return "new " + name + "()";
                }
            }

            problems.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedType, usage.Location, formatted.ToDisplayString(), usage.Description,
                "its [MessagePackFormatter] type '" + formatter.ToDisplayString() + "' has no public parameterless constructor and no public static Instance"));
            return null;
        }

        private UserTypeModel NewUserTypeModel(INamedTypeSymbol type, UserTypeKind kind)
        {
            string chain = ContainingTypePrefix(type) + type.Name;
            string typeParameters = type.TypeParameters.Length == 0 ? string.Empty : "<" + string.Join(", ", TypeParameterNames(type)) + ">";
            return new UserTypeModel(
                Type: type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                DisplayName: type.ToDisplayString(),
                FormatterNamespace: GeneratedNamespace(type),
                FormatterName: chain + "Formatter",
                TypeParameters: typeParameters,
                Constraints: new EquatableArray<string>(Constraints(type)),
                HintName: HintNamespacePrefix(type) + chain + (type.TypeParameters.Length == 0 ? string.Empty : "{" + string.Join(",", TypeParameterNames(type)) + "}") + ".Formatter.g.cs",
                Kind: kind,
                IsValueType: type.IsValueType,
                IsSealed: type.IsSealed || type.IsValueType,
                IsRecursive: false,
                EnumUnderlying: null,
                Layout: ObjectLayout.Map,
                Members: EquatableArray<MemberModel>.Empty,
                ConstructorArguments: EquatableArray<ConstructorArgument>.Empty,
                HasParameterlessConstruction: true,
                Cases: EquatableArray<UnionCase>.Empty);
        }

        /// <summary>Marks the types that can reach themselves through their members: writing them steps a depth guard, so a cycle fails cleanly.</summary>
        private void MarkRecursiveTypes()
        {
            var keys = new List<string>(_userTypes.Keys);
            foreach (string key in keys)
            {
                if (_userTypes[key] is { } model && Reaches(key, key, new HashSet<string>(StringComparer.Ordinal)))
                {
                    _userTypes[key] = model with { IsRecursive = true };
                }
            }
        }

        private bool Reaches(string from, string target, HashSet<string> visited)
        {
            if (!_references.TryGetValue(from, out var next))
            {
                return false;
            }

            foreach (string key in next)
            {
                if (key == target || (visited.Add(key) && Reaches(key, target, visited)))
                {
                    return true;
                }
            }

            return false;
        }

        private static IEnumerable<string> TypeParameterNames(INamedTypeSymbol type)
        {
            foreach (var parameter in type.TypeParameters)
            {
                yield return parameter.Name;
            }
        }

        private static List<string> TypeArgumentNames(INamedTypeSymbol type)
        {
            var names = new List<string>();
            foreach (var argument in type.TypeArguments)
            {
                names.Add(TypeofName(argument));
            }

            return names;
        }

        private static List<string> Constraints(INamedTypeSymbol type)
        {
            var clauses = new List<string>();
            foreach (var parameter in type.TypeParameters)
            {
                var parts = new List<string>();
                if (parameter.HasReferenceTypeConstraint)
                {
                    parts.Add("class");
                }
                else if (parameter.HasUnmanagedTypeConstraint)
                {
                    parts.Add("unmanaged");
                }
                else if (parameter.HasValueTypeConstraint)
                {
                    parts.Add("struct");
                }
                else if (parameter.HasNotNullConstraint)
                {
                    parts.Add("notnull");
                }

                foreach (var constraint in parameter.ConstraintTypes)
                {
                    parts.Add(Display(constraint));
                }

                if (parameter.HasConstructorConstraint)
                {
                    parts.Add("new()");
                }

                if (parts.Count > 0)
                {
                    clauses.Add("where " + parameter.Name + " : " + string.Join(", ", parts));
                }
            }

            return clauses;
        }

        private static string FormatterTypeName(INamedTypeSymbol type) =>
            "global::" + GeneratedNamespace(type) + "." + ContainingTypePrefix(type) + type.Name + "Formatter";

        /// <summary>
        /// The constructor a positional record declares in its header. From source it is the constructor declared by
        /// the record declaration itself; from metadata, the widest public constructor whose parameters all match
        /// properties by name and type (the shape the compiler gives positional records).
        /// </summary>
        private IMethodSymbol? FindPrimaryConstructor(INamedTypeSymbol type)
        {
            if (!type.IsRecord)
            {
                return null;
            }

            if (type.DeclaringSyntaxReferences.Length > 0)
            {
                foreach (var constructor in type.InstanceConstructors)
                {
                    if (SyntaxOf<TypeDeclarationSyntax>(constructor) is not null)
                    {
                        return constructor;
                    }
                }

                return null;
            }

            IMethodSymbol? best = null;
            foreach (var constructor in type.InstanceConstructors)
            {
                if (constructor.DeclaredAccessibility != Accessibility.Public || constructor.Parameters.Length == 0 || constructor.Parameters.Length <= (best?.Parameters.Length ?? 0))
                {
                    continue;
                }

                bool matches = true;
                foreach (var parameter in constructor.Parameters)
                {
                    var property = FindReadableProperty(type, parameter.Name);
                    matches &= property is not null && SymbolEqualityComparer.Default.Equals(property.Type, parameter.Type);
                }

                if (matches)
                {
                    best = constructor;
                }
            }

            return best;
        }

        private static IPropertySymbol? FindReadableProperty(INamedTypeSymbol type, string name)
        {
            for (var current = type; current is not null; current = current.BaseType)
            {
                foreach (var member in current.GetMembers(name))
                {
                    if (member is IPropertySymbol { IsStatic: false, IsIndexer: false, DeclaredAccessibility: Accessibility.Public, GetMethod.DeclaredAccessibility: Accessibility.Public } property)
                    {
                        return property;
                    }
                }
            }

            return null;
        }

        private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol union)
        {
            if (union.TypeKind == TypeKind.Interface)
            {
                foreach (var implemented in type.AllInterfaces)
                {
                    if (SymbolEqualityComparer.Default.Equals(implemented, union))
                    {
                        return true;
                    }
                }

                return false;
            }

            for (var current = type.BaseType; current is not null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current, union))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool HasUnion(INamedTypeSymbol type) => FindAttribute(type, KnownTypes.MetadataNames.UnionAttribute, inherited: false) is not null;

        private static bool IsIgnored(ISymbol member)
        {
            foreach (var attribute in member.GetAttributes())
            {
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name is KnownTypes.MetadataNames.IgnoreMemberAttribute or KnownTypes.MetadataNames.IgnoreDataMemberAttribute or KnownTypes.MetadataNames.NonSerializedAttribute)
                {
                    return true;
                }
            }

            return false;
        }

        private static AttributeData? FindAttribute(ISymbol symbol, string name, bool inherited)
        {
            for (var current = symbol; current is not null; current = inherited && current is INamedTypeSymbol type ? type.BaseType : null)
            {
                foreach (var attribute in current.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() == name)
                    {
                        return attribute;
                    }
                }
            }

            return null;
        }

        private static bool IsSystemType(INamedTypeSymbol type)
        {
            var ns = type.ContainingNamespace;
            while (ns is { ContainingNamespace.IsGlobalNamespace: false })
            {
                ns = ns.ContainingNamespace;
            }

            return ns is { IsGlobalNamespace: false, Name: "System" };
        }

        private static bool ContainsTypeParameter(ITypeSymbol type) => type switch
        {
            ITypeParameterSymbol => true,
            IArrayTypeSymbol array => ContainsTypeParameter(array.ElementType),
            INamedTypeSymbol named => named.TypeArguments.Any(ContainsTypeParameter),
            _ => false,
        };

        /// <summary>
        /// The primitives generated code writes in place (as MessagePack-CSharp's own generated code does), by the name of
        /// their MessagePackWriter/Reader method; every other type's formatter comes from the options' resolver.
        /// </summary>
        private static string? InlineName(INamedTypeSymbol type) => type.SpecialType switch
        {
            SpecialType.System_Boolean => "Boolean",
            SpecialType.System_Byte => "Byte",
            SpecialType.System_SByte => "SByte",
            SpecialType.System_Int16 => "Int16",
            SpecialType.System_UInt16 => "UInt16",
            SpecialType.System_Int32 => "Int32",
            SpecialType.System_UInt32 => "UInt32",
            SpecialType.System_Int64 => "Int64",
            SpecialType.System_UInt64 => "UInt64",
            SpecialType.System_Single => "Single",
            SpecialType.System_Double => "Double",
            SpecialType.System_Char => "Char",
            SpecialType.System_String => "String",
            SpecialType.System_DateTime => "DateTime",
            _ => null,
        };

        /// <summary>The types Macula's built-in resolver (MessagePack-CSharp's formatters, and its own Int128/UInt128) formats.</summary>
        private static bool IsBuiltin(INamedTypeSymbol type)
        {
            if (type.SpecialType is SpecialType.System_Decimal or SpecialType.System_DateTime)
            {
                return true;
            }

            switch (MetadataName(type.OriginalDefinition))
            {
                case "System.Guid":
                case "System.DateTimeOffset":
                case "System.TimeSpan":
                case "System.DateOnly":
                case "System.TimeOnly":
                case "System.Half":
                case "System.Int128":
                case "System.UInt128":
                case "System.Numerics.BigInteger":
                case "System.Numerics.Complex":
                case "System.Uri":
                case "System.Version":
                case "System.Text.StringBuilder":
                case "System.Collections.BitArray":
                case KnownTypes.MetadataNames.Nil:
                    return true;
                case "System.Memory`1":
                case "System.ReadOnlyMemory`1":
                case "System.ArraySegment`1":
                case "System.Buffers.ReadOnlySequence`1":
                    return type.TypeArguments[0].SpecialType == SpecialType.System_Byte;
                default:
                    return false;
            }
        }

        /// <summary>MessagePack-CSharp's formatter of a generic collection, tuple or wrapper, by its metadata name.</summary>
        private static string? CollectionFormatter(INamedTypeSymbol type)
        {
            return MetadataName(type.OriginalDefinition) switch
            {
                "System.Collections.Generic.List`1" => KnownTypes.MessagePack.Formatters.ListFormatter,
                "System.Collections.Generic.IList`1" => KnownTypes.MessagePack.Formatters.InterfaceListFormatter2,
                "System.Collections.Generic.IReadOnlyList`1" => KnownTypes.MessagePack.Formatters.InterfaceReadOnlyListFormatter,
                "System.Collections.Generic.ICollection`1" => KnownTypes.MessagePack.Formatters.InterfaceCollectionFormatter2,
                "System.Collections.Generic.IReadOnlyCollection`1" => KnownTypes.MessagePack.Formatters.InterfaceReadOnlyCollectionFormatter,
                "System.Collections.Generic.IEnumerable`1" => KnownTypes.MessagePack.Formatters.InterfaceEnumerableFormatter,
                "System.Collections.Generic.HashSet`1" => KnownTypes.MessagePack.Formatters.HashSetFormatter,
                "System.Collections.Generic.ISet`1" => KnownTypes.MessagePack.Formatters.InterfaceSetFormatter,
                "System.Collections.Generic.IReadOnlySet`1" => KnownTypes.MessagePack.Formatters.InterfaceReadOnlySetFormatter,
                "System.Collections.Generic.LinkedList`1" => KnownTypes.MessagePack.Formatters.LinkedListFormatter,
                "System.Collections.Generic.Queue`1" => KnownTypes.MessagePack.Formatters.QueueFormatter,
                "System.Collections.Generic.Stack`1" => KnownTypes.MessagePack.Formatters.StackFormatter,
                "System.Collections.ObjectModel.ReadOnlyCollection`1" => KnownTypes.MessagePack.Formatters.ReadOnlyCollectionFormatter,
                "System.Collections.ObjectModel.ObservableCollection`1" => KnownTypes.MessagePack.Formatters.ObservableCollectionFormatter,
                "System.Collections.Generic.Dictionary`2" => KnownTypes.MessagePack.Formatters.DictionaryFormatter,
                "System.Collections.Generic.IDictionary`2" => KnownTypes.MessagePack.Formatters.InterfaceDictionaryFormatter,
                "System.Collections.Generic.IReadOnlyDictionary`2" => KnownTypes.MessagePack.Formatters.InterfaceReadOnlyDictionaryFormatter,
                "System.Collections.Generic.SortedDictionary`2" => KnownTypes.MessagePack.Formatters.SortedDictionaryFormatter,
                "System.Collections.Generic.SortedList`2" => KnownTypes.MessagePack.Formatters.SortedListFormatter,
                "System.Collections.ObjectModel.ReadOnlyDictionary`2" => KnownTypes.MessagePack.Formatters.ReadOnlyDictionaryFormatter,
                "System.Collections.Concurrent.ConcurrentDictionary`2" => KnownTypes.MessagePack.Formatters.ConcurrentDictionaryFormatter,
                "System.Collections.Generic.KeyValuePair`2" => KnownTypes.MessagePack.Formatters.KeyValuePairFormatter,
                "System.Collections.Immutable.ImmutableArray`1" => KnownTypes.MessagePack.ImmutableCollection.ImmutableArrayFormatter,
                "System.Collections.Immutable.ImmutableList`1" => KnownTypes.MessagePack.ImmutableCollection.ImmutableListFormatter,
                "System.Collections.Immutable.ImmutableHashSet`1" => KnownTypes.MessagePack.ImmutableCollection.ImmutableHashSetFormatter,
                "System.Collections.Immutable.ImmutableSortedSet`1" => KnownTypes.MessagePack.ImmutableCollection.ImmutableSortedSetFormatter,
                "System.Collections.Immutable.ImmutableQueue`1" => KnownTypes.MessagePack.ImmutableCollection.ImmutableQueueFormatter,
                "System.Collections.Immutable.ImmutableStack`1" => KnownTypes.MessagePack.ImmutableCollection.ImmutableStackFormatter,
                "System.Collections.Immutable.ImmutableDictionary`2" => KnownTypes.MessagePack.ImmutableCollection.ImmutableDictionaryFormatter,
                "System.Collections.Immutable.ImmutableSortedDictionary`2" => KnownTypes.MessagePack.ImmutableCollection.ImmutableSortedDictionaryFormatter,
                "System.Collections.Immutable.IImmutableList`1" => KnownTypes.MessagePack.ImmutableCollection.InterfaceImmutableListFormatter,
                "System.Collections.Immutable.IImmutableSet`1" => KnownTypes.MessagePack.ImmutableCollection.InterfaceImmutableSetFormatter,
                "System.Collections.Immutable.IImmutableDictionary`2" => KnownTypes.MessagePack.ImmutableCollection.InterfaceImmutableDictionaryFormatter,
                "System.Memory`1" => KnownTypes.MessagePack.Formatters.MemoryFormatter,
                "System.ReadOnlyMemory`1" => KnownTypes.MessagePack.Formatters.ReadOnlyMemoryFormatter,
                "System.ArraySegment`1" => KnownTypes.MessagePack.Formatters.ArraySegmentFormatter,
                "System.ValueTuple`1" or "System.ValueTuple`2" or "System.ValueTuple`3" or "System.ValueTuple`4" or
                    "System.ValueTuple`5" or "System.ValueTuple`6" or "System.ValueTuple`7" or "System.ValueTuple`8" => KnownTypes.MessagePack.Formatters.ValueTupleFormatter,
                "System.Tuple`1" or "System.Tuple`2" or "System.Tuple`3" or "System.Tuple`4" or
                    "System.Tuple`5" or "System.Tuple`6" or "System.Tuple`7" or "System.Tuple`8" => KnownTypes.MessagePack.Formatters.TupleFormatter,
                _ => null,
            };
        }

        /// <summary>The C# literal of a parameter's default value, so a member an older peer did not send takes it.</summary>
        private static string DefaultLiteral(IParameterSymbol parameter)
        {
            object? value = parameter.ExplicitDefaultValue;
            if (value is null)
            {
                return parameter.Type.IsValueType && parameter.Type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T ? "default" : "null";
            }

            if (parameter.Type.TypeKind == TypeKind.Enum)
            {
                return "(" + Display(parameter.Type) + ")" + SymbolDisplay.FormatPrimitive(value, quoteStrings: false, useHexadecimalNumbers: false);
            }

            return value switch
            {
                string text => SymbolDisplay.FormatLiteral(text, quote: true),
                char c => SymbolDisplay.FormatLiteral(c, quote: true),
                bool b => b ? "true" : "false",
                float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
                double d => d.ToString("R", CultureInfo.InvariantCulture) + "d",
                decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
                long l => l.ToString(CultureInfo.InvariantCulture) + "L",
                ulong u => u.ToString(CultureInfo.InvariantCulture) + "UL",
                uint u => u.ToString(CultureInfo.InvariantCulture) + "U",
                _ => "(" + Display(parameter.Type) + ")" + Convert.ToString(value, CultureInfo.InvariantCulture),
            };
        }

        private static string AccessibilityName(Accessibility accessibility) => accessibility switch
        {
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedAndInternal => "private protected",
            Accessibility.Internal => "internal to another assembly",
            _ => "not accessible",
        };

        private DiagnosticInfo TypeProblem(INamedTypeSymbol type, Usage usage, string reason) =>
            DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedType, usage.Location, type.ToDisplayString(), usage.Description, reason);

        private static DiagnosticInfo MemberProblem(INamedTypeSymbol type, ISymbol member, LocationInfo? location, string reason) =>
            DiagnosticInfo.Create(DiagnosticDescriptors.MemberKeyProblem, location, type.Name + "." + member.Name, reason);

        private TypeRef? Unsupported(ITypeSymbol type, Usage usage, string reason)
        {
            Report(DiagnosticDescriptors.UnsupportedType, usage.Location, type.ToDisplayString(), usage.Description, reason);
            return null;
        }
    }
}
