using Microsoft.CodeAnalysis;

namespace Macula.Generators;

/// <summary>
/// Every diagnostic the generator reports. The ids are stable: users suppress and search for them, so never reuse or
/// renumber one; add new ones at the end.
/// </summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "Macula";

    public static readonly DiagnosticDescriptor NotAnInterface = Error(
        "MACULA001",
        "[MaculaService] can only mark an interface",
        "'{0}' is a {1}, but [MaculaService] marks service contracts, which are interfaces: declare an interface with the service's methods, mark it [MaculaService] and implement it in '{0}'");

    public static readonly DiagnosticDescriptor GenericMethod = Error(
        "MACULA002",
        "Service methods cannot be generic",
        "Method '{0}' of '{1}' is generic: Macula needs concrete types to generate its formatters, so remove the type parameters (use concrete types, or one method per type)");

    public static readonly DiagnosticDescriptor ByRefParameter = Error(
        "MACULA003",
        "Service method parameters cannot be ref, out or in",
        "Parameter '{0}' of '{1}' is passed by '{2}': a remote call can only send values, so pass it by value and return results through the method's Task<T>");

    public static readonly DiagnosticDescriptor OverloadedMethod = Error(
        "MACULA004",
        "Service methods cannot be overloaded",
        "'{0}' declares more than one method named '{1}': Macula calls methods by name, so give each overload its own name");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Error(
        "MACULA005",
        "Unsupported service method return type",
        "Method '{0}' of '{1}' returns '{2}': a service method must return Task, Task<T>, ValueTask or ValueTask<T>, so wrap the result in one of them (or IAsyncEnumerable<T> to stream items)");

    public static readonly DiagnosticDescriptor UnsupportedType = Error(
        "MACULA006",
        "Type cannot be serialized",
        "Type '{0}' of {1} cannot be serialized: {2}");

    public static readonly DiagnosticDescriptor NonMethodMember = Error(
        "MACULA007",
        "Service interfaces can only declare methods",
        "'{0}' declares the {1} '{2}': a service interface can only declare methods, so replace it with a method that returns a Task");

    public static readonly DiagnosticDescriptor DuplicateServiceName = Error(
        "MACULA008",
        "Two services have the same name",
        "Service name '{0}' of '{1}' is also used by '{2}': providers are discovered by service name, so give one of them another name with [MaculaService(\"name\")]");

    public static readonly DiagnosticDescriptor CancellationTokenNotLast = Error(
        "MACULA009",
        "CancellationToken must be the last parameter",
        "Parameter '{0}' of '{1}' is a CancellationToken but not the last parameter: it is not sent on the wire, so declare at most one CancellationToken, as the last parameter");

    public static readonly DiagnosticDescriptor GenericInterface = Error(
        "MACULA010",
        "Service interfaces cannot be generic",
        "'{0}' is generic: Macula generates one client and one dispatcher per service, so declare a non-generic interface (for example one per item type)");

    public static readonly DiagnosticDescriptor InvalidName = Error(
        "MACULA011",
        "Invalid service or method name",
        "'{0}' is not a valid {1} name: {2}");

    public static readonly DiagnosticDescriptor DuplicateWireName = Error(
        "MACULA012",
        "Two methods have the same wire name",
        "Methods '{0}' and '{1}' of '{2}' are both called '{3}' on the wire: set another [MaculaMethod(Name = ...)] on one of them");

    public static readonly DiagnosticDescriptor InvalidMethodSetting = Error(
        "MACULA013",
        "Invalid [MaculaMethod] setting",
        "[MaculaMethod({0} = {1})] on '{2}' is negative: use 0 for the client's default or a positive number");

    public static readonly DiagnosticDescriptor InaccessibleInterface = Error(
        "MACULA014",
        "Service interface is not accessible",
        "'{0}' is not accessible to the generated client and dispatcher: declare it, and every type that contains it, public or internal (not private, protected or file-local)");

    public static readonly DiagnosticDescriptor MemberCannotBeRead = Error(
        "MACULA015",
        "Member could be written but not read back",
        "'{0}' would be written but never read back, because {1} and no constructor parameter is named '{2}': give it a public (or init) setter, add a constructor parameter named '{2}', or mark it [IgnoreMember] if it is not data");

    public static readonly DiagnosticDescriptor MemberKeyProblem = Error(
        "MACULA016",
        "Member key is missing or invalid",
        "'{0}' cannot be serialized: {1}");

    public static readonly DiagnosticDescriptor ResolvedAtRunTime = new(
        "MACULA017",
        "Type is formatted by a resolver at run time",
        "Type '{0}' of {1} gets no generated formatter ({2}); its formatter must come from an IFormatterResolver given to the node (MaculaNodeOptions.Resolvers), or calls that carry it fail",
        Category,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedEventReturnType = Error(
        "MACULA018",
        "An event returns Task or ValueTask",
        "Event '{0}' of '{1}' returns '{2}': an event is published to its subscribers and has no result, so it must return Task or ValueTask (a call with a result or a stream belongs in a [MaculaService] interface)");

    public static readonly DiagnosticDescriptor ServiceAndEvents = Error(
        "MACULA019",
        "An interface is either a service or an event contract",
        "'{0}' is marked both [MaculaService] and [MaculaEvents]: a service is called, an event contract is published, so split it into two interfaces");

    public static readonly DiagnosticDescriptor DuplicateEventContractName = Error(
        "MACULA020",
        "Two event contracts have the same name",
        "Event contract name '{0}' of '{1}' is also used by '{2}': subscribers receive events by contract name, so give one of them another name with [MaculaEvents(\"name\")]");

    public static readonly DiagnosticDescriptor IgnoredEventSetting = Error(
        "MACULA021",
        "[MaculaMethod] setting that an event cannot have",
        "[MaculaMethod({0} = ...)] on the event '{1}' would have no effect: an event is published once, without a reply, timeout or retry, so remove it (only Name and Compression apply to events)");

    public static readonly DiagnosticDescriptor UnsupportedStreamShape = Error(
        "MACULA022",
        "Unsupported stream shape",
        "'{0}' cannot be generated: {1}. The stream shapes are: IAsyncEnumerable<T> M(args) (server stream), Task<R> M(IAsyncEnumerable<T> items, args) (client stream) and IAsyncEnumerable<R> M(IAsyncEnumerable<T> input, args) (duplex stream)");

    public static readonly DiagnosticDescriptor UnsupportedOneWay = Error(
        "MACULA023",
        "A one-way method returns Task or ValueTask",
        "'{0}' is [MaculaMethod(OneWay = true)] but {1}: a one-way call returns once a provider has received it, so it has no result and no stream; return Task or ValueTask, or drop OneWay");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
