using System;
using System.Collections.Generic;
using Macula.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private sealed partial class Parser
    {
        private const string SupportedTypes =
            "use a primitive, string, byte[], char, Guid, DateTime, DateTimeOffset, TimeSpan, decimal, an enum, a nullable value type, " +
            "an array, List<T> (or IList<T>, IReadOnlyList<T>, ICollection<T>, IReadOnlyCollection<T>, IEnumerable<T>), " +
            "Dictionary<TKey, TValue> (or IDictionary<TKey, TValue>, IReadOnlyDictionary<TKey, TValue>), " +
            "or your own class, record or struct with public properties";

        private readonly HashSet<string> _failedTypes = new(StringComparer.Ordinal);
        private bool _sawErrorType;

        /// <summary>Where a type is used, for the message and location of a diagnostic about it.</summary>
        private readonly record struct Usage(string Description, LocationInfo? Location);

        /// <summary>
        /// Finds how to format <paramref name="type"/>, collecting every user type it reaches; reports and returns
        /// <see langword="null"/> when some part of it cannot be serialized.
        /// </summary>
        private TypeRef? ResolveType(ITypeSymbol type, Usage usage)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            string display = Display(type);
            bool suppressNullable = type.IsReferenceType && type.NullableAnnotation != NullableAnnotation.Annotated;
            switch (type)
            {
                case IErrorTypeSymbol:
                    // The compiler already reports the missing type; emitting around it would only add noise.
                    _sawErrorType = true;
                    return null;
                case IArrayTypeSymbol array:
                    if (!array.IsSZArray)
                    {
                        return Unsupported(type, usage, "multi-dimensional arrays are not supported; use a jagged array (T[][]) or a List<List<T>>");
                    }

                    if (array.ElementType.SpecialType == SpecialType.System_Byte)
                    {
                        return new TypeRef(TypeRefKind.Builtin, display, suppressNullable, "ByteArray", EquatableArray<TypeRef>.Empty);
                    }

                    return Composite(TypeRefKind.Array, display, suppressNullable, usage, array.ElementType);
                case INamedTypeSymbol named:
                    if (BuiltinFormatter(named) is { } builtin)
                    {
                        return new TypeRef(TypeRefKind.Builtin, display, suppressNullable, builtin, EquatableArray<TypeRef>.Empty);
                    }

                    if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
                    {
                        return Composite(TypeRefKind.Nullable, display, suppressNullable, usage, named.TypeArguments[0]);
                    }

                    switch (MetadataName(named.OriginalDefinition))
                    {
                        case "System.Collections.Generic.List`1":
                        case "System.Collections.Generic.IList`1":
                        case "System.Collections.Generic.IReadOnlyList`1":
                        case "System.Collections.Generic.ICollection`1":
                        case "System.Collections.Generic.IReadOnlyCollection`1":
                        case "System.Collections.Generic.IEnumerable`1":
                            return Composite(TypeRefKind.List, display, suppressNullable, usage, named.TypeArguments[0]);
                        case "System.Collections.Generic.Dictionary`2":
                        case "System.Collections.Generic.IDictionary`2":
                        case "System.Collections.Generic.IReadOnlyDictionary`2":
                            return Composite(TypeRefKind.Dictionary, display, suppressNullable, usage, named.TypeArguments[0], named.TypeArguments[1]);
                    }

                    return UserType(named, display, suppressNullable, usage);
                default:
                    return Unsupported(type, usage, "Macula has no formatter for it; " + SupportedTypes);
            }
        }

        private TypeRef? Composite(TypeRefKind kind, string display, bool suppressNullable, Usage usage, params ITypeSymbol[] arguments)
        {
            var resolved = new TypeRef[arguments.Length];
            bool ok = true;
            for (int i = 0; i < arguments.Length; i++)
            {
                var argument = ResolveType(arguments[i], usage);
                ok &= argument is not null;
                resolved[i] = argument!;
            }

            return ok ? new TypeRef(kind, display, suppressNullable, null, new EquatableArray<TypeRef>(resolved)) : null;
        }

        private TypeRef? UserType(INamedTypeSymbol type, string display, bool suppressNullable, Usage usage)
        {
            string key = type.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            if (_failedTypes.Contains(key))
            {
                return null;
            }

            if (!_userTypes.ContainsKey(key))
            {
                string? problem = UserTypeProblem(type);
                if (problem is not null)
                {
                    _failedTypes.Add(key);
                    return Unsupported(type, usage, problem);
                }

                // Marked before the members are visited, so a type that refers to itself (or to a type that refers
                // back to it) just names its formatter instead of recursing forever.
                _userTypes[key] = null;
                var model = type.TypeKind == TypeKind.Enum ? EnumModel(type) : ObjectModel(type, usage);
                if (model is null)
                {
                    _userTypes.Remove(key);
                    _failedTypes.Add(key);
                    return null;
                }

                _userTypes[key] = model;
            }

            return new TypeRef(TypeRefKind.User, display, suppressNullable, FormatterType(type), EquatableArray<TypeRef>.Empty);
        }

        private string? UserTypeProblem(INamedTypeSymbol type)
        {
            if (type.TypeKind == TypeKind.Enum)
            {
                return IsAccessible(type) ? null : "it is not accessible to generated code; declare it (and every type that contains it) public or internal";
            }

            if (IsSystemType(type))
            {
                return "Macula has no formatter for it; " + SupportedTypes;
            }

            if (type.TypeKind == TypeKind.Interface)
            {
                return "Macula writes and reads the declared type, so an interface cannot be read back; use a concrete class, record or struct (or one of the supported collection interfaces)";
            }

            if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsRefLikeType)
            {
                return "Macula has no formatter for it; " + SupportedTypes;
            }

            if (type.IsGenericType)
            {
                return "generic types are not supported in service signatures yet; declare a non-generic type (for example 'OrderPage' instead of 'Page<Order>')";
            }

            if (type.IsAbstract)
            {
                return "it is abstract, and Macula writes and reads the declared type; use a concrete class or record";
            }

            if (!IsAccessible(type))
            {
                return "it is not accessible to generated code; declare it (and every type that contains it) public or internal";
            }

            if (type.TypeKind == TypeKind.Class && FindPrimaryConstructor(type) is null && !HasParameterlessConstructor(type))
            {
                return "it has no public parameterless constructor; add one, or declare it as a positional record";
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
            return NewUserTypeModel(type, underlying, EquatableArray<MemberModel>.Empty, hasConstructorParameters: false);
        }

        private UserTypeModel? ObjectModel(INamedTypeSymbol type, Usage usage)
        {
            var members = new List<MemberModel>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            bool ok = true;
            var constructor = FindPrimaryConstructor(type);
            if (constructor is not null)
            {
                foreach (var parameter in constructor.Parameters)
                {
                    var property = FindReadableProperty(type, parameter.Name);
                    if (property is null)
                    {
                        Unsupported(type, usage, "its constructor parameter '" + parameter.Name + "' has no public property of the same name to write it from; declare one, or remove the parameter");
                        ok = false;
                        continue;
                    }

                    names.Add(property.Name);
                    ok &= AddMember(type, property, isConstructorParameter: true, usage, members);
                }
            }

            foreach (var declaring in TypeHierarchy(type))
            {
                foreach (var member in declaring.GetMembers())
                {
                    if (member is IPropertySymbol property && IsSettable(property) && names.Add(property.Name))
                    {
                        ok &= AddMember(type, property, isConstructorParameter: false, usage, members);
                    }
                }
            }

            return ok ? NewUserTypeModel(type, null, new EquatableArray<MemberModel>(members), constructor is { Parameters.Length: > 0 }) : null;
        }

        private bool AddMember(INamedTypeSymbol owner, IPropertySymbol property, bool isConstructorParameter, Usage ownerUsage, List<MemberModel> members)
        {
            // A positional record's property is declared by its parameter.
            var typeSyntax = SyntaxOf<PropertyDeclarationSyntax>(property)?.Type ?? SyntaxOf<ParameterSyntax>(property)?.Type;
            var usage = new Usage("property '" + owner.Name + "." + property.Name + "'", LocationInfo.From(typeSyntax) ?? ownerUsage.Location);
            var formatter = ResolveType(property.Type, usage);
            if (formatter is null)
            {
                return false;
            }

            members.Add(new MemberModel(Identifiers.Escape(property.Name), Display(property.Type), formatter, isConstructorParameter));
            return true;
        }

        private UserTypeModel NewUserTypeModel(INamedTypeSymbol type, EnumUnderlyingType? underlying, EquatableArray<MemberModel> members, bool hasConstructorParameters)
        {
            string chain = ContainingTypePrefix(type) + type.Name;
            return new UserTypeModel(
                Type: type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                FormatterNamespace: GeneratedNamespace(type),
                FormatterName: chain + "Formatter",
                HintName: HintNamespacePrefix(type) + chain + ".Formatter.g.cs",
                IsEnum: underlying is not null,
                IsValueType: type.IsValueType,
                EnumUnderlying: underlying,
                Members: members,
                HasConstructorParameters: hasConstructorParameters);
        }

        private static string FormatterType(INamedTypeSymbol type) =>
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

        private bool HasParameterlessConstructor(INamedTypeSymbol type)
        {
            foreach (var constructor in type.InstanceConstructors)
            {
                if (constructor.Parameters.Length == 0 && _compilation.IsSymbolAccessibleWithin(constructor, _compilation.Assembly))
                {
                    return true;
                }
            }

            return false;
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

        private static bool IsSettable(IPropertySymbol property) =>
            property is
            {
                IsStatic: false,
                IsIndexer: false,
                DeclaredAccessibility: Accessibility.Public,
                GetMethod.DeclaredAccessibility: Accessibility.Public,
                SetMethod.DeclaredAccessibility: Accessibility.Public,
            };

        /// <summary>The user types from the outermost base down to <paramref name="type"/>, so inherited members come first.</summary>
        private static List<INamedTypeSymbol> TypeHierarchy(INamedTypeSymbol type)
        {
            var hierarchy = new List<INamedTypeSymbol>();
            for (var current = type; current is not null && !IsSystemType(current); current = current.BaseType)
            {
                hierarchy.Insert(0, current);
            }

            return hierarchy;
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

        private static string? BuiltinFormatter(INamedTypeSymbol type)
        {
            switch (type.SpecialType)
            {
                case SpecialType.System_Boolean: return "Boolean";
                case SpecialType.System_Byte: return "Byte";
                case SpecialType.System_SByte: return "SByte";
                case SpecialType.System_Int16: return "Int16";
                case SpecialType.System_UInt16: return "UInt16";
                case SpecialType.System_Int32: return "Int32";
                case SpecialType.System_UInt32: return "UInt32";
                case SpecialType.System_Int64: return "Int64";
                case SpecialType.System_UInt64: return "UInt64";
                case SpecialType.System_Single: return "Single";
                case SpecialType.System_Double: return "Double";
                case SpecialType.System_Char: return "Char";
                case SpecialType.System_String: return "String";
                case SpecialType.System_Decimal: return "Decimal";
                case SpecialType.System_DateTime: return "DateTime";
            }

            return MetadataName(type) switch
            {
                "System.Guid" => "Guid",
                "System.DateTimeOffset" => "DateTimeOffset",
                "System.TimeSpan" => "TimeSpan",
                _ => null,
            };
        }

        private TypeRef? Unsupported(ITypeSymbol type, Usage usage, string reason)
        {
            Report(DiagnosticDescriptors.UnsupportedType, usage.Location, type.ToDisplayString(), usage.Description, reason);
            return null;
        }
    }
}
