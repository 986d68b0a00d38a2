using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Macula.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Macula.Generators;

/// <summary>
/// Writes, for every <c>[MaculaService]</c> interface, a client proxy, a dispatcher, a descriptor registered at
/// module load, and MessagePack-CSharp formatters for every type in its signatures, with one resolver per assembly;
/// for every <c>[MaculaEvents]</c> contract, a publisher, a dispatcher, a descriptor and the same formatters.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class MaculaServiceGenerator : IIncrementalGenerator
{
    /// <summary>The names of the pipeline steps, for incrementality tests.</summary>
    public static class TrackingNames
    {
        /// <summary>One parse result per [MaculaService] declaration.</summary>
        public const string ParseResults = "Macula.ParseResults";

        /// <summary>The services that parsed without errors.</summary>
        public const string Services = "Macula.Services";

        /// <summary>The user types of every service, each once.</summary>
        public const string UserTypes = "Macula.UserTypes";

        /// <summary>Every diagnostic, once, in a stable order.</summary>
        public const string Diagnostics = "Macula.Diagnostics";

        /// <summary>The assembly's formatter resolver: every entry of every service and event contract, each once.</summary>
        public const string Resolver = "Macula.Resolver";

        /// <summary>One parse result per [MaculaEvents] declaration.</summary>
        public const string EventParseResults = "Macula.EventParseResults";

        /// <summary>The event contracts that parsed without errors.</summary>
        public const string EventContracts = "Macula.EventContracts";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypes.MetadataNames.MaculaServiceAttribute,
                // Any type declaration, not just interfaces, so a misplaced attribute gets a diagnostic.
                static (node, _) => node is TypeDeclarationSyntax,
                static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.ParseResults);

        var services = results
            .Where(static result => result.Service is not null)
            .Select(static (result, _) => result.Service!)
            .WithTrackingName(TrackingNames.Services);
        context.RegisterSourceOutput(services, Emitter.EmitService);

        var eventResults = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypes.MetadataNames.MaculaEventsAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                static (context, cancellationToken) => Parser.ParseEvents(context, cancellationToken))
            .WithTrackingName(TrackingNames.EventParseResults);

        var contracts = eventResults
            .Where(static result => result.Service is not null)
            .Select(static (result, _) => result.Service!)
            .WithTrackingName(TrackingNames.EventContracts);
        context.RegisterSourceOutput(contracts, Emitter.EmitEvents);

        // A type used by several services or event contracts gets one formatter.
        var userTypes = results
            .Select(static (result, _) => result.UserTypes)
            .Collect()
            .Combine(eventResults.Select(static (result, _) => result.UserTypes).Collect())
            .SelectMany(static (all, _) => DistinctUserTypes(all.Left.AddRange(all.Right)))
            .WithTrackingName(TrackingNames.UserTypes);
        context.RegisterSourceOutput(userTypes, Emitter.EmitUserType);

        var entries = results
            .Select(static (result, _) => result.ResolverEntries)
            .Collect()
            .Combine(eventResults.Select(static (result, _) => result.ResolverEntries).Collect())
            .Select(static (all, _) => all.Left.AddRange(all.Right))
            .Combine(context.CompilationProvider.Select(static (compilation, _) => compilation.AssemblyName ?? string.Empty))
            .Select(static (pair, _) => new ResolverModel(Emitter.ResolverClassName(pair.Right), DistinctEntries(pair.Left)))
            .WithTrackingName(TrackingNames.Resolver);
        context.RegisterSourceOutput(entries, Emitter.EmitResolver);

        var diagnostics = results
            .Collect()
            .Combine(eventResults.Collect())
            .Select(static (pair, _) => CollectDiagnostics(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (context, diagnostics) =>
        {
            foreach (var diagnostic in diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
    }

    private static ImmutableArray<UserTypeModel> DistinctUserTypes(ImmutableArray<EquatableArray<UserTypeModel>> all)
    {
        var byHint = new SortedDictionary<string, UserTypeModel>(StringComparer.Ordinal);
        foreach (var types in all)
        {
            foreach (var type in types)
            {
                if (!byHint.ContainsKey(type.HintName))
                {
                    byHint.Add(type.HintName, type);
                }
            }
        }

        return ImmutableArray.CreateRange(byHint.Values);
    }

    private static EquatableArray<ResolverEntry> DistinctEntries(ImmutableArray<EquatableArray<ResolverEntry>> all)
    {
        var byType = new SortedDictionary<string, ResolverEntry>(StringComparer.Ordinal);
        foreach (var entries in all)
        {
            foreach (var entry in entries)
            {
                if (!byType.ContainsKey(entry.Type))
                {
                    byType.Add(entry.Type, entry);
                }
            }
        }

        return new EquatableArray<ResolverEntry>(byType.Values);
    }

    /// <summary>
    /// Every parse diagnostic once (a type shared by two services reports its problem once), plus duplicate service
    /// names and duplicate event contract names (a service and a contract may share a name: their subjects differ).
    /// </summary>
    private static EquatableArray<DiagnosticInfo> CollectDiagnostics(ImmutableArray<ServiceParseResult> services, ImmutableArray<ServiceParseResult> contracts)
    {
        var diagnostics = new HashSet<DiagnosticInfo>();
        AddDuplicates(diagnostics, services, DiagnosticDescriptors.DuplicateServiceName);
        AddDuplicates(diagnostics, contracts, DiagnosticDescriptors.DuplicateEventContractName);
        var sorted = new List<DiagnosticInfo>(diagnostics);
        sorted.Sort();
        return new EquatableArray<DiagnosticInfo>(sorted);
    }

    private static void AddDuplicates(HashSet<DiagnosticInfo> diagnostics, ImmutableArray<ServiceParseResult> all, DiagnosticDescriptor duplicate)
    {
        var byName = new SortedDictionary<string, List<ServiceIdentity>>(StringComparer.Ordinal);
        foreach (var result in all)
        {
            diagnostics.UnionWith(result.Diagnostics);
            if (result.Identity is { } identity)
            {
                if (!byName.TryGetValue(identity.ServiceName, out var list))
                {
                    byName.Add(identity.ServiceName, list = new List<ServiceIdentity>());
                }

                list.Add(identity);
            }
        }

        foreach (var services in byName.Values)
        {
            if (services.Count < 2)
            {
                continue;
            }

            services.Sort(static (a, b) => string.CompareOrdinal(a.InterfaceName, b.InterfaceName));
            for (int i = 0; i < services.Count; i++)
            {
                var other = services[i == 0 ? 1 : 0];
                diagnostics.Add(DiagnosticInfo.Create(duplicate, services[i].Location, services[i].ServiceName, services[i].InterfaceName, other.InterfaceName));
            }
        }
    }
}
