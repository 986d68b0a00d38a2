namespace Macula.Generators.Model;

// The model is what the pipeline caches between keystrokes: it must stay cacheable, that is value-equatable and free
// of ISymbol, SyntaxNode, Location, SemanticModel and Compilation (they would pin a whole compilation in memory and
// never compare equal). Types are global::-qualified C# strings, collections are EquatableArray<T>.

/// <summary>What parsing one [MaculaService] declaration gave: a model to emit, or the errors that stop it.</summary>
internal sealed record ServiceParseResult(
    ServiceModel? Service,
    EquatableArray<UserTypeModel> UserTypes,
    EquatableArray<ResolverEntry> ResolverEntries,
    EquatableArray<DiagnosticInfo> Diagnostics,
    ServiceIdentity? Identity);

/// <summary>The service name and where it is declared, to find two services that share a name.</summary>
internal sealed record ServiceIdentity(string ServiceName, string InterfaceName, LocationInfo? Location);

/// <summary>
/// A [MaculaService] interface, or a [MaculaEvents] contract when <see cref="IsEvents"/> (then <see cref="ServiceName"/>
/// is the contract name and every method is an event returning Task or ValueTask), ready to emit.
/// </summary>
internal sealed record ServiceModel(
    string InterfaceType,
    string InterfaceName,
    string ServiceName,
    string GeneratedNamespace,
    string TypeNamePrefix,
    string HintNamePrefix,
    EquatableArray<MethodModel> Methods,
    bool IsEvents = false);

/// <summary>How a method returns.</summary>
internal enum ReturnKind
{
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,

    /// <summary><c>IAsyncEnumerable&lt;T&gt;</c>: a server stream; <see cref="MethodModel.Result"/> is the item type.</summary>
    AsyncEnumerable,
}

/// <summary>One method of a service. For a stream, <see cref="Result"/> is the type of its items.</summary>
internal sealed record MethodModel(
    string Name,
    string WireName,
    int Index,
    bool Idempotent,
    int TimeoutMs,
    int MaxAttempts,
    int Compression,
    ReturnKind ReturnKind,
    string ReturnType,
    TypeRef? Result,
    EquatableArray<ParameterModel> Parameters,
    string? CancellationTokenName,
    InputModel? Input = null,
    bool OneWay = false,
    string Fingerprint = "");

/// <summary>
/// The <c>IAsyncEnumerable&lt;T&gt;</c> parameter of a client or duplex stream: the client's items, not an argument on the
/// wire. <see cref="Position"/> is how many wire parameters come before it in the signature.
/// </summary>
internal sealed record InputModel(string Name, string Type, TypeRef Item, int Position);

/// <summary>
/// A parameter sent on the wire (the CancellationToken is not one). <see cref="Name"/> is an escaped identifier;
/// <see cref="Default"/> is the C# literal of its default value, used when an older caller does not send it.
/// </summary>
internal sealed record ParameterModel(string Name, string Type, TypeRef Formatter, bool IsParams, string? Default);

/// <summary>
/// A type in a signature or a member, as generated code reads and writes it. <see cref="Type"/> keeps the nullable
/// annotations the user wrote; <see cref="Inline"/> names the MessagePackWriter/Reader methods of a primitive written
/// in place (Int32, String...), else the formatter comes from the options' resolver (or from
/// <see cref="CustomFormatter"/>, a [MessagePackFormatter] on the member).
/// </summary>
internal sealed record TypeRef(string Type, string? Inline, bool IsReferenceType, bool IsValueType, string? CustomFormatter = null);

/// <summary>One entry of the assembly's generated resolver: a type (as in <c>typeof</c>) and the expression of its formatter.</summary>
internal sealed record ResolverEntry(string Type, string Formatter);

/// <summary>What kind of formatter a user type gets.</summary>
internal enum UserTypeKind
{
    Enum,
    Object,

    /// <summary>An abstract class or interface with [Union] cases: <c>[key, value]</c>.</summary>
    Union,
}

/// <summary>How an object's members are laid out.</summary>
internal enum ObjectLayout
{
    /// <summary>A map keyed by member name (or [Key(string)]): members can be reordered, added and removed.</summary>
    Map,

    /// <summary>An array indexed by [Key(int)] (gaps are nil): MessagePack-CSharp's [MessagePackObject] layout.</summary>
    Array,
}

/// <summary>A user enum, class, record, struct or union that gets a generated formatter.</summary>
internal sealed record UserTypeModel(
    string Type,
    string DisplayName,
    string FormatterNamespace,
    string FormatterName,
    string TypeParameters,
    EquatableArray<string> Constraints,
    string HintName,
    UserTypeKind Kind,
    bool IsValueType,
    bool IsSealed,
    bool IsRecursive,
    EnumUnderlyingType? EnumUnderlying,
    ObjectLayout Layout,
    EquatableArray<MemberModel> Members,
    EquatableArray<ConstructorArgument> ConstructorArguments,
    bool HasParameterlessConstruction,
    EquatableArray<UnionCase> Cases)
{
    /// <summary>The formatter class with its type parameters, as generated code names it.</summary>
    public string FormatterType => "global::" + FormatterNamespace + "." + FormatterName + TypeParameters;

    /// <summary>The type the formatter formats: nullable for reference types (nil for null).</summary>
    public string FormattedType => IsValueType ? Type : Type + "?";
}

/// <summary>The integer type behind an enum: the C# keyword and the <c>MessagePackReader</c> method that reads it.</summary>
internal sealed record EnumUnderlyingType(string Keyword, string ReadMethod);

/// <summary>How a member that arrived is put into the new object.</summary>
internal enum MemberAssignment
{
    /// <summary>Passed to the constructor (a parameter of the same name).</summary>
    Constructor,

    /// <summary>Set in the object initializer: init-only and <c>required</c> members.</summary>
    Initializer,

    /// <summary>Set after construction, only when it arrived, so a missing member keeps its initializer.</summary>
    Setter,

    /// <summary>A get-only collection: cleared and filled with what arrived.</summary>
    Fill,

    /// <summary>Written, never read back (a computed property marked [Key]).</summary>
    WriteOnly,
}

/// <summary>
/// A member of a user type. <see cref="Key"/> is its map key, <see cref="Index"/> its array index; a member missing
/// from a payload keeps its declared initializer (or the constructor parameter's default, <see cref="Default"/>).
/// </summary>
internal sealed record MemberModel(
    string Name,
    string Type,
    TypeRef Formatter,
    string Key,
    int Index,
    MemberAssignment Assignment,
    bool Required,
    string? Default,
    string? FillElement);

/// <summary>A constructor argument: the index of the member it comes from.</summary>
internal sealed record ConstructorArgument(int Member);

/// <summary>A [Union] case: its key and concrete type.</summary>
internal sealed record UnionCase(int Key, string Type, string Name, bool IsValueType);

/// <summary>The assembly's generated resolver: its class name and every entry, sorted.</summary>
internal sealed record ResolverModel(string ClassName, EquatableArray<ResolverEntry> Entries);
