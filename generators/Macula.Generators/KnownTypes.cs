namespace Macula.Generators;

/// <summary>
/// Every type and member of Macula's runtime, MessagePack-CSharp and the BCL that generated code names, and every
/// attribute the parser looks for: when a runtime type moves, this file is the one edit, and <c>KnownTypesTests</c>
/// names the entry that went stale.
/// </summary>
/// <remarks>
/// Emitted names are <c>global::</c>-qualified C#; a generic type is named without its type arguments, which the
/// emitter appends. A class named after a runtime type holds the members generated code names through it (static
/// calls, explicit interface implementations), and <c>Type</c>, the type itself, when the code names that too.
/// <see cref="MetadataNames"/> are what Roslyn's <c>ToDisplayString()</c> gives for the symbols the parser matches.
/// The BCL types the parser recognizes by metadata name (tasks, collections, the built-in scalars) stay in its
/// tables, beside the return kind or formatter each maps to.
/// </remarks>
internal static class KnownTypes
{
    /// <summary>The namespaces the runtime lives in, without <c>global::</c>.</summary>
    public static class Namespaces
    {
        public const string Macula = "Macula";
        public const string Rpc = Macula + ".Rpc";
        public const string Events = Macula + ".Events";
        public const string Serialization = Macula + ".Serialization";
        public const string MessagePack = "MessagePack";
        public const string MessagePackFormatters = MessagePack + ".Formatters";
        public const string MessagePackImmutableCollection = MessagePack + ".ImmutableCollection";
        public const string MessagePackInternal = MessagePack + ".Internal";
    }

    /// <summary>The attributes (and other types) the parser matches, by metadata name.</summary>
    public static class MetadataNames
    {
        public const string MaculaServiceAttribute = Namespaces.Macula + ".MaculaServiceAttribute";
        public const string MaculaMethodAttribute = Namespaces.Macula + ".MaculaMethodAttribute";
        public const string MaculaEventsAttribute = Namespaces.Macula + ".MaculaEventsAttribute";
        public const string MessagePackObjectAttribute = Namespaces.MessagePack + ".MessagePackObjectAttribute";
        public const string KeyAttribute = Namespaces.MessagePack + ".KeyAttribute";
        public const string IgnoreMemberAttribute = Namespaces.MessagePack + ".IgnoreMemberAttribute";
        public const string UnionAttribute = Namespaces.MessagePack + ".UnionAttribute";
        public const string SerializationConstructorAttribute = Namespaces.MessagePack + ".SerializationConstructorAttribute";
        public const string MessagePackFormatterAttribute = Namespaces.MessagePack + ".MessagePackFormatterAttribute";

        /// <summary>MessagePack-CSharp's nil value, which its built-in formatters write.</summary>
        public const string Nil = Namespaces.MessagePack + ".Nil";

        public const string IgnoreDataMemberAttribute = "System.Runtime.Serialization.IgnoreDataMemberAttribute";
        public const string NonSerializedAttribute = "System.NonSerializedAttribute";
        public const string SetsRequiredMembersAttribute = "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute";
    }

    /// <summary>Types in the runtime's root namespace, <c>Macula</c>.</summary>
    public static class Macula
    {
        private const string Ns = "global::" + Namespaces.Macula;

        public static class MethodCompression
        {
            private const string Type = Ns + ".MethodCompression";
            public const string Off = Type + ".Off";
            public const string Lz4 = Type + ".Lz4";
        }
    }

    /// <summary>The RPC contract generated clients and dispatchers implement and call.</summary>
    public static class Rpc
    {
        private const string Ns = "global::" + Namespaces.Rpc;

        public const string IMaculaInvoker = Ns + ".IMaculaInvoker";
        public const string IServiceDispatcher = Ns + ".IServiceDispatcher";
        public const string IMaculaStreamSource = Ns + ".IMaculaStreamSource";
        public const string IMaculaStreamInput = Ns + ".IMaculaStreamInput";
        public const string MethodDescriptor = Ns + ".MethodDescriptor";

        /// <summary>Generic in the service interface.</summary>
        public const string ServiceDescriptor = Ns + ".ServiceDescriptor";

        public static class IMaculaProxy
        {
            public const string Type = Ns + ".IMaculaProxy";
            public const string Invoker = Type + ".Invoker";
            public const string WithInvoker = Type + ".WithInvoker";
        }

        public static class MaculaServiceRegistry
        {
            private const string Type = Ns + ".MaculaServiceRegistry";
            public const string Register = Type + ".Register";
        }

        public static class GeneratedCodeSupport
        {
            private const string Type = Ns + ".GeneratedCodeSupport";
            public const string ReadArguments = Type + ".ReadArguments";
            public const string WriteResultAsync = Type + ".WriteResultAsync";
            public const string UnknownMethod = Type + ".UnknownMethod";
        }

        public static class StreamingSupport
        {
            private const string Type = Ns + ".StreamingSupport";
            public const string Items = Type + ".Items";
            public const string Failed = Type + ".Failed";
            public const string Input = Type + ".Input";
            public const string Result = Type + ".Result";
        }
    }

    /// <summary>The events contract generated publishers and dispatchers implement and call.</summary>
    public static class Events
    {
        private const string Ns = "global::" + Namespaces.Events;

        public const string IMaculaEventPublisher = Ns + ".IMaculaEventPublisher";
        public const string IEventDispatcher = Ns + ".IEventDispatcher";
        public const string EventDescriptor = Ns + ".EventDescriptor";

        /// <summary>Generic in the contract interface.</summary>
        public const string EventContractDescriptor = Ns + ".EventContractDescriptor";

        public static class MaculaEventRegistry
        {
            private const string Type = Ns + ".MaculaEventRegistry";
            public const string Register = Type + ".Register";
        }

        public static class EventSupport
        {
            private const string Type = Ns + ".EventSupport";
            public const string Handled = Type + ".Handled";
            public const string UnknownEvent = Type + ".UnknownEvent";
        }
    }

    /// <summary>What generated formatters and resolvers call in Macula's serialization layer.</summary>
    public static class Serialization
    {
        private const string Ns = "global::" + Namespaces.Serialization;

        /// <summary>Generic in the formatted type; its static <c>Instance</c> asks the options' resolver.</summary>
        public const string ResolvedFormatter = Ns + ".ResolvedFormatter";

        public static class GeneratedFormatterResolvers
        {
            private const string Type = Ns + ".GeneratedFormatterResolvers";
            public const string Register = Type + ".Register";
        }

        public static class FormatterSupport
        {
            private const string Type = Ns + ".FormatterSupport";
            public const string WriteString = Type + ".WriteString";
            public const string ReadString = Type + ".ReadString";
            public const string EnterWrite = Type + ".EnterWrite";
            public const string ExitWrite = Type + ".ExitWrite";
            public const string Fill = Type + ".Fill";
            public const string IsAttributed = Type + ".IsAttributed";
            public const string InMember = Type + ".InMember";
            public const string DerivedType = Type + ".DerivedType";
            public const string DuplicateMember = Type + ".DuplicateMember";
            public const string MissingRequiredMember = Type + ".MissingRequiredMember";
            public const string UnknownUnionCase = Type + ".UnknownUnionCase";
            public const string BadUnionShape = Type + ".BadUnionShape";
            public const string UnknownUnionTag = Type + ".UnknownUnionTag";
        }
    }

    /// <summary>MessagePack-CSharp, whose writer, reader and formatters generated code is written against.</summary>
    public static class MessagePack
    {
        private const string Ns = "global::" + Namespaces.MessagePack;

        public const string MessagePackWriter = Ns + ".MessagePackWriter";
        public const string MessagePackReader = Ns + ".MessagePackReader";
        public const string MessagePackSerializerOptions = Ns + ".MessagePackSerializerOptions";
        public const string IFormatterResolver = Ns + ".IFormatterResolver";
        public const string Nil = Ns + ".Nil";

        public static class FormatterResolverExtensions
        {
            private const string Type = Ns + ".FormatterResolverExtensions";
            public const string GetFormatterWithVerify = Type + ".GetFormatterWithVerify";
        }

        public static class Internal
        {
            public static class CodeGenHelpers
            {
                private const string Type = "global::" + Namespaces.MessagePackInternal + ".CodeGenHelpers";
                public const string ReadStringSpan = Type + ".ReadStringSpan";
            }
        }

        /// <summary>The formatter interface and the built-in formatters of arrays, nullables, collections, tuples and memory.</summary>
        public static class Formatters
        {
            private const string Ns = "global::" + Namespaces.MessagePackFormatters;

            public const string IMessagePackFormatter = Ns + ".IMessagePackFormatter";
            public const string NilFormatter = Ns + ".NilFormatter";
            public const string ArrayFormatter = Ns + ".ArrayFormatter";
            public const string NullableFormatter = Ns + ".NullableFormatter";
            public const string ListFormatter = Ns + ".ListFormatter";
            public const string InterfaceListFormatter2 = Ns + ".InterfaceListFormatter2";
            public const string InterfaceReadOnlyListFormatter = Ns + ".InterfaceReadOnlyListFormatter";
            public const string InterfaceCollectionFormatter2 = Ns + ".InterfaceCollectionFormatter2";
            public const string InterfaceReadOnlyCollectionFormatter = Ns + ".InterfaceReadOnlyCollectionFormatter";
            public const string InterfaceEnumerableFormatter = Ns + ".InterfaceEnumerableFormatter";
            public const string HashSetFormatter = Ns + ".HashSetFormatter";
            public const string InterfaceSetFormatter = Ns + ".InterfaceSetFormatter";
            public const string InterfaceReadOnlySetFormatter = Ns + ".InterfaceReadOnlySetFormatter";
            public const string LinkedListFormatter = Ns + ".LinkedListFormatter";
            public const string QueueFormatter = Ns + ".QueueFormatter";
            public const string StackFormatter = Ns + ".StackFormatter";
            public const string ReadOnlyCollectionFormatter = Ns + ".ReadOnlyCollectionFormatter";
            public const string ObservableCollectionFormatter = Ns + ".ObservableCollectionFormatter";
            public const string DictionaryFormatter = Ns + ".DictionaryFormatter";
            public const string InterfaceDictionaryFormatter = Ns + ".InterfaceDictionaryFormatter";
            public const string InterfaceReadOnlyDictionaryFormatter = Ns + ".InterfaceReadOnlyDictionaryFormatter";
            public const string SortedDictionaryFormatter = Ns + ".SortedDictionaryFormatter";
            public const string SortedListFormatter = Ns + ".SortedListFormatter";
            public const string ReadOnlyDictionaryFormatter = Ns + ".ReadOnlyDictionaryFormatter";
            public const string ConcurrentDictionaryFormatter = Ns + ".ConcurrentDictionaryFormatter";
            public const string KeyValuePairFormatter = Ns + ".KeyValuePairFormatter";
            public const string MemoryFormatter = Ns + ".MemoryFormatter";
            public const string ReadOnlyMemoryFormatter = Ns + ".ReadOnlyMemoryFormatter";
            public const string ArraySegmentFormatter = Ns + ".ArraySegmentFormatter";
            public const string ValueTupleFormatter = Ns + ".ValueTupleFormatter";
            public const string TupleFormatter = Ns + ".TupleFormatter";
        }

        /// <summary>The built-in formatters of System.Collections.Immutable.</summary>
        public static class ImmutableCollection
        {
            private const string Ns = "global::" + Namespaces.MessagePackImmutableCollection;

            public const string ImmutableArrayFormatter = Ns + ".ImmutableArrayFormatter";
            public const string ImmutableListFormatter = Ns + ".ImmutableListFormatter";
            public const string ImmutableHashSetFormatter = Ns + ".ImmutableHashSetFormatter";
            public const string ImmutableSortedSetFormatter = Ns + ".ImmutableSortedSetFormatter";
            public const string ImmutableQueueFormatter = Ns + ".ImmutableQueueFormatter";
            public const string ImmutableStackFormatter = Ns + ".ImmutableStackFormatter";
            public const string ImmutableDictionaryFormatter = Ns + ".ImmutableDictionaryFormatter";
            public const string ImmutableSortedDictionaryFormatter = Ns + ".ImmutableSortedDictionaryFormatter";
            public const string InterfaceImmutableListFormatter = Ns + ".InterfaceImmutableListFormatter";
            public const string InterfaceImmutableSetFormatter = Ns + ".InterfaceImmutableSetFormatter";
            public const string InterfaceImmutableDictionaryFormatter = Ns + ".InterfaceImmutableDictionaryFormatter";
        }
    }

    /// <summary>The BCL types generated code names, in one list whatever their namespace.</summary>
    public static class System
    {
        public const string ArgumentNullException = "global::System.ArgumentNullException";
        public const string Exception = "global::System.Exception";
        public const string Type = "global::System.Type";

        /// <summary>Generic in the element type, as are <see cref="ReadOnlySpan"/>, <see cref="IBufferWriter"/> and <see cref="Dictionary"/>.</summary>
        public const string ReadOnlyMemory = "global::System.ReadOnlyMemory";
        public const string ReadOnlySpan = "global::System.ReadOnlySpan";
        public const string IBufferWriter = "global::System.Buffers.IBufferWriter";
        public const string Dictionary = "global::System.Collections.Generic.Dictionary";
        public const string CancellationToken = "global::System.Threading.CancellationToken";

        /// <summary>Attributes, named as they are applied (without the Attribute suffix).</summary>
        public const string ModuleInitializer = "global::System.Runtime.CompilerServices.ModuleInitializer";
        public const string GeneratedCode = "global::System.CodeDom.Compiler.GeneratedCode";
        public const string EditorBrowsable = "global::System.ComponentModel.EditorBrowsable";

        public static class EditorBrowsableState
        {
            private const string Type = "global::System.ComponentModel.EditorBrowsableState";
            public const string Never = Type + ".Never";
        }

        public static class ValueTask
        {
            public const string Type = "global::System.Threading.Tasks.ValueTask";
            public const string FromException = Type + ".FromException";
        }

        public static class Array
        {
            private const string Type = "global::System.Array";
            public const string Empty = Type + ".Empty";
        }

        public static class MemoryExtensions
        {
            private const string Type = "global::System.MemoryExtensions";
            public const string SequenceEqual = Type + ".SequenceEqual";
        }

        public static class RuntimeHelpers
        {
            private const string Type = "global::System.Runtime.CompilerServices.RuntimeHelpers";
            public const string EnsureSufficientExecutionStack = Type + ".EnsureSufficientExecutionStack";
        }
    }
}
