namespace Macula.Generators.Model;

// The model is what the pipeline caches between keystrokes: it must stay cacheable, that is value-equatable and free
// of ISymbol, SyntaxNode, Location, SemanticModel and Compilation (they would pin a whole compilation in memory and
// never compare equal). Types are global::-qualified C# strings, collections are EquatableArray<T>.

/// <summary>What parsing one [MaculaService] declaration gave: a model to emit, or the errors that stop it.</summary>
internal sealed record ServiceParseResult(
    ServiceModel? Service,
    EquatableArray<UserTypeModel> UserTypes,
    EquatableArray<DiagnosticInfo> Diagnostics,
    ServiceIdentity? Identity);

/// <summary>The service name and where it is declared, to find two services that share a name.</summary>
internal sealed record ServiceIdentity(string ServiceName, string InterfaceName, LocationInfo? Location);

/// <summary>A [MaculaService] interface, ready to emit.</summary>
internal sealed record ServiceModel(
    string InterfaceType,
    string InterfaceName,
    string ServiceName,
    string GeneratedNamespace,
    string TypeNamePrefix,
    string HintNamePrefix,
    EquatableArray<MethodModel> Methods);

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
    ReturnKind ReturnKind,
    string ReturnType,
    TypeRef? Result,
    EquatableArray<ParameterModel> Parameters,
    string? CancellationTokenName);

/// <summary>A parameter sent on the wire (the CancellationToken is not one). <see cref="Name"/> is an escaped identifier.</summary>
internal sealed record ParameterModel(string Name, string Type, TypeRef Formatter, bool IsParams);

/// <summary>How a formatter for a type is obtained.</summary>
internal enum TypeRefKind
{
    /// <summary>A property of <c>MessagePackFormatters</c>, named by <see cref="TypeRef.Target"/>.</summary>
    Builtin,

    /// <summary>A generated formatter class (<see cref="TypeRef.Target"/>) with a static <c>Instance</c>.</summary>
    User,

    Nullable,
    Array,
    List,
    Dictionary,
}

/// <summary>
/// A type in a signature and the recipe for its formatter. <see cref="Type"/> keeps the nullable annotations the user
/// wrote; <see cref="SuppressNullable"/> says the formatter's type argument is the nullable variant of it (formatters
/// of reference types always accept null), so the generated code adds a <c>!</c> where it converts.
/// </summary>
internal sealed record TypeRef(TypeRefKind Kind, string Type, bool SuppressNullable, string? Target, EquatableArray<TypeRef> Arguments)
{
    /// <summary>Whether the formatter is a shared instance, not built from others.</summary>
    public bool IsShared => Kind is TypeRefKind.Builtin or TypeRefKind.User;
}

/// <summary>A user enum, class, record or struct that gets a generated formatter.</summary>
internal sealed record UserTypeModel(
    string Type,
    string FormatterNamespace,
    string FormatterName,
    string HintName,
    bool IsEnum,
    bool IsValueType,
    EnumUnderlyingType? EnumUnderlying,
    EquatableArray<MemberModel> Members,
    bool HasConstructorParameters)
{
    public string FormatterType => "global::" + FormatterNamespace + "." + FormatterName;
}

/// <summary>The integer type behind an enum: the C# keyword and the <c>MessagePackReader</c> method that reads it.</summary>
internal sealed record EnumUnderlyingType(string Keyword, string ReadMethod);

/// <summary>A member of a user type, in wire order.</summary>
internal sealed record MemberModel(string Name, string Type, TypeRef Formatter, bool IsConstructorParameter);
