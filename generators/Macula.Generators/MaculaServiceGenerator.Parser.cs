using System;
using System.Collections.Generic;
using System.Threading;
using Macula.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    /// <summary>Turns one [MaculaService] declaration into a <see cref="ServiceParseResult"/>; the only place that sees symbols.</summary>
    private sealed partial class Parser
    {
        /// <summary>Types as the generated code writes them: global::-qualified, keeping the user's nullable annotations.</summary>
        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>
        /// Types as the contract fingerprint names them (<see cref="ContractFingerprint"/>): the name and containing types
        /// without the namespace, C# keywords for special types, no nullable reference annotations.
        /// </summary>
        private static readonly SymbolDisplayFormat ShapeFormat = new(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypes,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

        /// <summary>Types as <c>typeof</c> and type arguments of resolver entries name them: global::-qualified, no nullable annotations.</summary>
        private static readonly SymbolDisplayFormat TypeofFormat = SymbolDisplayFormat.FullyQualifiedFormat;

        /// <summary>Namespaces as the generated code writes them: dotted, keywords escaped, no global::.</summary>
        private static readonly SymbolDisplayFormat NamespaceFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

        private readonly Compilation _compilation;
        private readonly CancellationToken _cancellationToken;

        /// <summary>Parsing a [MaculaEvents] contract: every method is an event (returns Task or ValueTask, one-token name).</summary>
        private readonly bool _events;
        private readonly List<DiagnosticInfo> _diagnostics = new();
        private int _errorCount;
        private readonly SortedDictionary<string, UserTypeModel?> _userTypes = new(StringComparer.Ordinal);

        private Parser(Compilation compilation, CancellationToken cancellationToken, bool events)
        {
            _compilation = compilation;
            _cancellationToken = cancellationToken;
            _events = events;
        }

        public static ServiceParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Parse(context, cancellationToken, events: false);

        public static ServiceParseResult ParseEvents(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            Parse(context, cancellationToken, events: true);

        private static ServiceParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken, bool events)
        {
            var parser = new Parser(context.SemanticModel.Compilation, cancellationToken, events);
            return parser.ParseService((INamedTypeSymbol)context.TargetSymbol, (TypeDeclarationSyntax)context.TargetNode, context.Attributes[0]);
        }

        private ServiceParseResult ParseService(INamedTypeSymbol symbol, TypeDeclarationSyntax declaration, AttributeData attribute)
        {
            var identifier = LocationInfo.From(declaration.Identifier.GetLocation());
            if (symbol.TypeKind != TypeKind.Interface)
            {
                Report(DiagnosticDescriptors.NotAnInterface, identifier, symbol.Name, KindName(symbol));
                return Failed(null);
            }

            if (symbol.IsGenericType)
            {
                Report(DiagnosticDescriptors.GenericInterface, identifier, symbol.Name);
                return Failed(null);
            }

            if (!IsAccessible(symbol))
            {
                Report(DiagnosticDescriptors.InaccessibleInterface, identifier, symbol.Name);
                return Failed(null);
            }

            if (_events && HasAttribute(symbol, KnownTypes.MetadataNames.MaculaServiceAttribute))
            {
                Report(DiagnosticDescriptors.ServiceAndEvents, identifier, symbol.Name);
                return Failed(null);
            }

            string serviceName = DefaultServiceName(symbol.Name);
            if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string explicitName)
            {
                serviceName = explicitName;
                var arguments = (attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments;
                var argument = arguments is { Count: > 0 } list ? list[0] : null;
                if (!ValidateName(serviceName, _events ? "event contract" : "service", LocationInfo.From(argument) ?? identifier))
                {
                    return Failed(null);
                }
            }

            var identity = new ServiceIdentity(serviceName, symbol.ToDisplayString(), identifier);
            var methods = ParseMethods(symbol, identifier);
            if (_errorCount > 0 || _sawErrorType)
            {
                return Failed(identity);
            }

            MarkRecursiveTypes();
            var userTypes = new List<UserTypeModel>();
            foreach (var model in _userTypes.Values)
            {
                userTypes.Add(model!);
            }

            var service = new ServiceModel(
                InterfaceType: symbol.ToDisplayString(TypeFormat),
                InterfaceName: symbol.Name,
                ServiceName: serviceName,
                GeneratedNamespace: GeneratedNamespace(symbol),
                TypeNamePrefix: ContainingTypePrefix(symbol) + DefaultServiceName(symbol.Name),
                HintNamePrefix: HintNamespacePrefix(symbol) + ContainingTypePrefix(symbol) + symbol.Name,
                Methods: new EquatableArray<MethodModel>(methods),
                IsEvents: _events);
            return new ServiceParseResult(
                service,
                new EquatableArray<UserTypeModel>(userTypes),
                new EquatableArray<ResolverEntry>(_entries.Values),
                new EquatableArray<DiagnosticInfo>(_diagnostics),
                identity);
        }

        private ServiceParseResult Failed(ServiceIdentity? identity) =>
            new(null, EquatableArray<UserTypeModel>.Empty, EquatableArray<ResolverEntry>.Empty, new EquatableArray<DiagnosticInfo>(_diagnostics), identity);

        private List<MethodModel> ParseMethods(INamedTypeSymbol service, LocationInfo? fallback)
        {
            // Inherited interfaces are part of the contract: the proxy must implement their methods too.
            var members = new List<ISymbol>(service.GetMembers());
            foreach (var inherited in service.AllInterfaces)
            {
                members.AddRange(inherited.GetMembers());
            }

            var methods = new List<MethodModel>();
            var csharpNames = new HashSet<string>(StringComparer.Ordinal);
            var wireNames = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var member in members)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (member.IsStatic)
                {
                    // Static interface members are not called through an instance, so they are not part of the remote contract.
                    continue;
                }

                switch (member)
                {
                    case IMethodSymbol { MethodKind: MethodKind.Ordinary } method:
                        if (!csharpNames.Add(method.Name))
                        {
                            Report(DiagnosticDescriptors.OverloadedMethod, LocationOf(method, fallback), service.Name, method.Name);
                            continue;
                        }

                        if (ParseMethod(service, method, methods.Count, fallback) is { } model)
                        {
                            if (wireNames.TryGetValue(model.WireName, out string? other))
                            {
                                Report(DiagnosticDescriptors.DuplicateWireName, LocationOf(method, fallback), other, method.Name, service.Name, model.WireName);
                                continue;
                            }

                            wireNames.Add(model.WireName, method.Name);
                            methods.Add(model);
                        }

                        break;
                    case IPropertySymbol property:
                        Report(DiagnosticDescriptors.NonMethodMember, LocationOf(property, fallback), service.Name, property.IsIndexer ? "indexer" : "property", property.Name);
                        break;
                    case IEventSymbol @event:
                        Report(DiagnosticDescriptors.NonMethodMember, LocationOf(@event, fallback), service.Name, "event", @event.Name);
                        break;
                }
            }

            return methods;
        }

        private MethodModel? ParseMethod(INamedTypeSymbol service, IMethodSymbol method, int index, LocationInfo? fallback)
        {
            var location = LocationOf(method, fallback);
            string displayName = service.Name + "." + method.Name;
            if (method.IsGenericMethod)
            {
                Report(DiagnosticDescriptors.GenericMethod, location, method.Name, service.Name);
                return null;
            }

            var syntax = SyntaxOf<MethodDeclarationSyntax>(method);
            var returnLocation = LocationInfo.From(syntax?.ReturnType) ?? location;
            int errors = _errorCount;
            var returnKind = ClassifyReturnType(method.ReturnType);
            TypeRef? result = null;
            if (_events && returnKind is not (ReturnKind.Task or ReturnKind.ValueTask))
            {
                Report(DiagnosticDescriptors.UnsupportedEventReturnType, returnLocation, method.Name, service.Name, method.ReturnType.ToDisplayString());
                returnKind = null;
            }
            else if (returnKind is null)
            {
                Report(DiagnosticDescriptors.UnsupportedReturnType, returnLocation, method.Name, service.Name, method.ReturnType.ToDisplayString());
            }
            else if (returnKind is ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT or ReturnKind.AsyncEnumerable)
            {
                var resultType = ((INamedTypeSymbol)method.ReturnType).TypeArguments[0];
                string what = returnKind == ReturnKind.AsyncEnumerable ? "the items of '" : "the result of '";
                result = ResolveType(resultType, new Usage(what + displayName + "'", returnLocation));
            }

            var parameters = new List<ParameterModel>();
            var shape = new List<string>();
            string? cancellationTokenName = null;
            InputModel? input = null;
            string? inputItem = null;
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                var parameter = method.Parameters[i];
                var parameterSyntax = SyntaxOf<ParameterSyntax>(parameter);
                var parameterLocation = LocationInfo.From(parameterSyntax) ?? location;
                if (parameter.RefKind != RefKind.None)
                {
                    Report(DiagnosticDescriptors.ByRefParameter, parameterLocation, parameter.Name, displayName, RefKindName(parameter.RefKind));
                    continue;
                }

                if (IsCancellationToken(parameter.Type))
                {
                    if (i != method.Parameters.Length - 1)
                    {
                        Report(DiagnosticDescriptors.CancellationTokenNotLast, parameterLocation, parameter.Name, displayName);
                    }

                    cancellationTokenName = Identifiers.Escape(parameter.Name);
                    continue;
                }

                var usage = new Usage("parameter '" + parameter.Name + "' of '" + displayName + "'", LocationInfo.From(parameterSyntax?.Type) ?? parameterLocation);
                if (parameter.Type is INamedTypeSymbol { IsGenericType: true } named && MetadataName(named.OriginalDefinition) == "System.Collections.Generic.IAsyncEnumerable`1")
                {
                    string? problem = _events ? "an event is published once and cannot take a stream of items"
                        : input is not null ? "it takes two IAsyncEnumerable<T> parameters, and a stream has one client-to-provider direction"
                        : returnKind is ReturnKind.Task or ReturnKind.ValueTask or ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT or ReturnKind.AsyncEnumerable ? null
                        : "its return type is not Task, Task<T>, ValueTask, ValueTask<T> or IAsyncEnumerable<T>";
                    if (problem is not null)
                    {
                        Report(DiagnosticDescriptors.UnsupportedStreamShape, LocationInfo.From(parameterSyntax?.Type) ?? parameterLocation, displayName, problem);
                        continue;
                    }

                    if (ResolveType(named.TypeArguments[0], new Usage("the items of parameter '" + parameter.Name + "' of '" + displayName + "'", usage.Location)) is { } item)
                    {
                        input = new InputModel(Identifiers.Escape(parameter.Name), Display(parameter.Type), item, parameters.Count);
                        inputItem = ShapeName(named.TypeArguments[0]);
                    }

                    continue;
                }

                if (ResolveType(parameter.Type, usage) is { } formatter)
                {
                    string? defaultValue = parameter.HasExplicitDefaultValue ? DefaultLiteral(parameter) : null;
                    parameters.Add(new ParameterModel(Identifiers.Escape(parameter.Name), Display(parameter.Type), formatter, parameter.IsParams, defaultValue));
                    if (defaultValue is null && !parameter.IsParams)
                    {
                        shape.Add(ShapeName(parameter.Type));
                    }
                }
            }

            var settings = ReadMethodSettings(method, displayName, location);
            if (settings.OneWay && returnKind is not null && (returnKind is not (ReturnKind.Task or ReturnKind.ValueTask) || input is not null))
            {
                string problem = input is not null ? "it takes a stream of items" : "it returns '" + method.ReturnType.ToDisplayString() + "'";
                Report(DiagnosticDescriptors.UnsupportedOneWay, settings.OneWayLocation ?? location, displayName, problem);
            }

            if (_errorCount != errors || returnKind is null)
            {
                return null;
            }

            string wireName = settings.WireName ?? (_events ? DefaultEventName(method.Name) : method.Name);
            if (_events && wireName.IndexOf('.') >= 0)
            {
                Report(DiagnosticDescriptors.InvalidName, location, wireName, "event", "an event name is the last token of its subject, so it cannot hold dots");
                return null;
            }

            return new MethodModel(
                Name: Identifiers.Escape(method.Name),
                WireName: wireName,
                Index: index,
                Idempotent: settings.Idempotent,
                TimeoutMs: settings.TimeoutMs,
                MaxAttempts: settings.MaxAttempts,
                Compression: settings.Compression,
                ReturnKind: returnKind.Value,
                ReturnType: Display(method.ReturnType),
                Result: result,
                Parameters: new EquatableArray<ParameterModel>(parameters),
                CancellationTokenName: cancellationTokenName,
                Input: input,
                OneWay: settings.OneWay,
                Fingerprint: ContractFingerprint.Of(wireName, returnKind.Value == ReturnKind.AsyncEnumerable, result is null ? null : ShapeName(((INamedTypeSymbol)method.ReturnType).TypeArguments[0]), shape, inputItem));
        }

        private MethodSettings ReadMethodSettings(IMethodSymbol method, string displayName, LocationInfo? location)
        {
            var settings = new MethodSettings();
            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() != KnownTypes.MetadataNames.MaculaMethodAttribute)
                {
                    continue;
                }

                var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
                foreach (var pair in attribute.NamedArguments)
                {
                    var argumentLocation = ArgumentLocation(syntax, pair.Key) ?? location;
                    switch (pair.Key)
                    {
                        case "Name" when pair.Value.Value is string name:
                            if (ValidateName(name, _events ? "event" : "method", argumentLocation))
                            {
                                settings.WireName = name;
                            }

                            break;
                        case "Idempotent" or "TimeoutMs" or "MaxAttempts" or "OneWay" when _events:
                            Report(DiagnosticDescriptors.IgnoredEventSetting, argumentLocation, pair.Key, displayName);
                            break;
                        case "Idempotent" when pair.Value.Value is bool idempotent:
                            settings.Idempotent = idempotent;
                            break;
                        case "TimeoutMs" when pair.Value.Value is int timeout:
                            settings.TimeoutMs = CheckNotNegative(timeout, pair.Key, displayName, argumentLocation);
                            break;
                        case "MaxAttempts" when pair.Value.Value is int attempts:
                            settings.MaxAttempts = CheckNotNegative(attempts, pair.Key, displayName, argumentLocation);
                            break;
                        case "Compression" when pair.Value.Value is int compression:
                            settings.Compression = compression;
                            break;
                        case "OneWay" when pair.Value.Value is bool oneWay:
                            settings.OneWay = oneWay;
                            settings.OneWayLocation = argumentLocation;
                            break;
                    }
                }
            }

            return settings;
        }

        private int CheckNotNegative(int value, string setting, string displayName, LocationInfo? location)
        {
            if (value < 0)
            {
                Report(DiagnosticDescriptors.InvalidMethodSetting, location, setting, value.ToString(System.Globalization.CultureInfo.InvariantCulture), displayName);
                return 0;
            }

            return value;
        }

        /// <summary>Service and method names end up in NATS subjects and headers, so they must be single, wildcard-free tokens.</summary>
        private bool ValidateName(string name, string what, LocationInfo? location)
        {
            string? problem = null;
            if (name.Trim().Length == 0)
            {
                problem = "it is empty";
            }
            else if (name.StartsWith(".", StringComparison.Ordinal) || name.EndsWith(".", StringComparison.Ordinal) || name.Contains(".."))
            {
                problem = "it has an empty segment between dots";
            }
            else
            {
                foreach (char c in name)
                {
                    if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '*' or '>')
                    {
                        problem = "it contains '" + (char.IsWhiteSpace(c) || char.IsControl(c) ? "whitespace" : c.ToString()) + "'";
                        break;
                    }
                }
            }

            if (problem is null)
            {
                return true;
            }

            Report(DiagnosticDescriptors.InvalidName, location, name, what, problem + "; names become NATS subject tokens, so use letters, digits, '-', '_' and single dots");
            return false;
        }

        private static ReturnKind? ClassifyReturnType(ITypeSymbol type)
        {
            if (type is not INamedTypeSymbol named)
            {
                return null;
            }

            return MetadataName(named.OriginalDefinition) switch
            {
                "System.Threading.Tasks.Task" => ReturnKind.Task,
                "System.Threading.Tasks.Task`1" => ReturnKind.TaskOfT,
                "System.Threading.Tasks.ValueTask" => ReturnKind.ValueTask,
                "System.Threading.Tasks.ValueTask`1" => ReturnKind.ValueTaskOfT,
                "System.Collections.Generic.IAsyncEnumerable`1" => ReturnKind.AsyncEnumerable,
                _ => null,
            };
        }

        private static bool IsCancellationToken(ITypeSymbol type) =>
            type is INamedTypeSymbol named && MetadataName(named) == "System.Threading.CancellationToken";

        /// <summary>An event's default wire name: the method name without its <c>Async</c> suffix (<c>OrderPlacedAsync</c> is <c>OrderPlaced</c>).</summary>
        internal static string DefaultEventName(string methodName) =>
            methodName.Length > 5 && methodName.EndsWith("Async", StringComparison.Ordinal) ? methodName.Substring(0, methodName.Length - 5) : methodName;

        private static bool HasAttribute(INamedTypeSymbol symbol, string metadataName)
        {
            foreach (var attribute in symbol.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == metadataName)
                {
                    return true;
                }
            }

            return false;
        }

        internal static string DefaultServiceName(string interfaceName) =>
            interfaceName.Length > 1 && interfaceName[0] == 'I' && char.IsUpper(interfaceName[1]) ? interfaceName.Substring(1) : interfaceName;

        private bool IsAccessible(INamedTypeSymbol type)
        {
            for (var current = type; current is not null; current = current.ContainingType)
            {
                if (current.IsFileLocal)
                {
                    return false;
                }
            }

            // Generated code sits at namespace level in this assembly, so that is where the type must be visible.
            return _compilation.IsSymbolAccessibleWithin(type, _compilation.Assembly);
        }

        private static string GeneratedNamespace(INamedTypeSymbol type) =>
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? "Macula.Generated." + ns.ToDisplayString(NamespaceFormat) : "Macula.Generated";

        private static string HintNamespacePrefix(INamedTypeSymbol type) =>
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." : string.Empty;

        /// <summary>Outer_Inner_ for a nested type, so generated names stay unique within the namespace.</summary>
        private static string ContainingTypePrefix(INamedTypeSymbol type)
        {
            string prefix = string.Empty;
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                prefix = outer.Name + "_" + prefix;
            }

            return prefix;
        }

        private static string MetadataName(INamedTypeSymbol type)
        {
            string name = type.MetadataName;
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                name = outer.MetadataName + "+" + name;
            }

            return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
        }

        private static string Display(ITypeSymbol type) => type.ToDisplayString(TypeFormat);

        /// <summary>A type as the contract fingerprint names it: no namespace, no nullable reference annotation.</summary>
        private static string ShapeName(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(ShapeFormat);

        private static string TypeofName(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(TypeofFormat);

        private static string KindName(INamedTypeSymbol type) => type.TypeKind switch
        {
            TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
            TypeKind.Class => type.IsRecord ? "record" : "class",
            TypeKind.Enum => "enum",
            TypeKind.Delegate => "delegate",
            _ => "type",
        };

        private static string RefKindName(RefKind kind) => kind switch
        {
            RefKind.Out => "out",
            RefKind.In => "in",
            RefKind.RefReadOnlyParameter => "ref readonly",
            _ => "ref",
        };

        private T? SyntaxOf<T>(ISymbol symbol)
            where T : SyntaxNode
        {
            foreach (var reference in symbol.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(_cancellationToken) is T syntax)
                {
                    return syntax;
                }
            }

            return null;
        }

        private static LocationInfo? LocationOf(ISymbol symbol, LocationInfo? fallback)
        {
            foreach (var location in symbol.Locations)
            {
                if (LocationInfo.From(location) is { } info)
                {
                    return info;
                }
            }

            return fallback;
        }

        private static LocationInfo? ArgumentLocation(AttributeSyntax? attribute, string name)
        {
            if (attribute?.ArgumentList is null)
            {
                return null;
            }

            foreach (var argument in attribute.ArgumentList.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == name)
                {
                    return LocationInfo.From(argument);
                }
            }

            return null;
        }

        private void Report(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
            Report(DiagnosticInfo.Create(descriptor, location, arguments));

        private void Report(DiagnosticInfo diagnostic)
        {
            _diagnostics.Add(diagnostic);
            if (diagnostic.Descriptor.DefaultSeverity == DiagnosticSeverity.Error)
            {
                _errorCount++;
            }
        }

        private sealed class MethodSettings
        {
            public string? WireName { get; set; }

            public bool Idempotent { get; set; } = true;

            public int TimeoutMs { get; set; }

            public int MaxAttempts { get; set; }

            public int Compression { get; set; }

            public bool OneWay { get; set; }

            public LocationInfo? OneWayLocation { get; set; }
        }
    }
}
