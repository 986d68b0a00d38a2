using System.Collections.Generic;
using Macula.Generators.Model;

namespace Macula.Generators;

public sealed partial class MaculaServiceGenerator
{
    private static partial class Emitter
    {
        private static string EnumFormatter(UserTypeModel type)
        {
            var underlying = type.EnumUnderlying!;
            var writer = StartFile(type.FormatterNamespace);
            writer.Line("/// <summary>Writes and reads <see cref=\"" + Cref(type.Type) + "\"/> as its underlying " + underlying.Keyword + ".</summary>");
            TypeAttributes(writer);
            writer.Open("internal sealed class " + type.FormatterName + " : " + FormatterOf(type.Type));
            writer.Line("public static readonly " + type.FormatterName + " Instance = new " + type.FormatterName + "();");
            writer.Line();
            writer.Line(SerializeSignature(type.Type) + " => writer.Write((" + underlying.Keyword + ")value);");
            writer.Line();
            writer.Line(DeserializeSignature(type.Type) + " => (" + type.Type + ")reader." + underlying.ReadMethod + "();");
            writer.Close();
            return writer.ToString();
        }

        private static string ObjectFormatter(UserTypeModel type)
        {
            var writer = StartFile(type.FormatterNamespace);
            string layout = type.Layout == ObjectLayout.Array
                ? "a MessagePack array indexed by the members' [Key] (nil in the gaps)"
                : "a MessagePack map keyed by member name";
            writer.Line("/// <summary>");
            writer.Line("/// Writes and reads <see cref=\"" + Cref(type.Type) + "\"/> as " + layout + (type.IsValueType ? "." : ", nil for null."));
            writer.Line("/// Members a reader does not know are skipped; members it does not find keep their initializers.");
            writer.Line("/// </summary>");
            TypeAttributes(writer);
            ObjectFormatterClass(writer, type, "internal sealed class " + type.FormatterName + type.TypeParameters);
            return writer.ToString();
        }

        /// <summary>
        /// The class of an object formatter: <paramref name="declaration"/> names it; <paramref name="type"/> describes the
        /// object (a DTO, or the arguments of a method).
        /// </summary>
        private static void ObjectFormatterClass(SourceWriter writer, UserTypeModel type, string declaration)
        {
            var members = Members(type);
            string name = declaration.Substring(declaration.LastIndexOf(' ') + 1);
            writer.Line(declaration + " : " + FormatterOf(type.FormattedType));
            writer.Indent();
            foreach (string constraint in type.Constraints)
            {
                writer.Line(constraint);
            }

            writer.Unindent();
            writer.Open();
            writer.Line("public static readonly " + name + " Instance = new " + name + "();");
            writer.Line();

            writer.Open(SerializeSignature(type.FormattedType));
            if (!type.IsValueType)
            {
                writer.Open("if (value is null)");
                writer.Line("writer.WriteNil();");
                writer.Line("return;");
                writer.Close();
                writer.Line();
                if (!type.IsSealed)
                {
                    writer.Open("if (value.GetType() != typeof(" + type.Type + "))");
                    writer.Line("throw " + KnownTypes.Serialization.FormatterSupport.DerivedType + "(value, " + Literal(type.DisplayName) + ");");
                    writer.Close();
                    writer.Line();
                }
            }

            Guarded(writer, type, () =>
            {
                if (HasCache(members))
                {
                    writer.Line("var formatters = Formatters.For(options);");
                }

                WriteMembers(writer, type, members);
            });
            writer.Close();
            writer.Line();

            writer.Open(DeserializeSignature(type.FormattedType));
            if (!type.IsValueType)
            {
                writer.Open("if (reader.TryReadNil())");
                writer.Line("return null;");
                writer.Close();
                writer.Line();
            }

            ReadMembers(writer, type, members);
            Construct(writer, type, members);
            writer.Close();
            FormattersCache(writer, members);
            writer.Close();
        }

        /// <summary>A DTO's members with the names of their locals, flags and cached formatters, clear of each other and of generated names.</summary>
        private static List<WireMember> Members(UserTypeModel type)
        {
            var locals = new NameScope(new[] { "writer", "reader", "options", "value", "formatters", "member", "count", "i", "key", "result", "defaults", "ex" });
            var fields = new NameScope(new[] { "Resolver", "For", "Formatters" });
            var list = new List<WireMember>();
            foreach (var member in type.Members)
            {
                string local = locals.Take(Identifiers.ToCamelCase(member.Name));
                string has = locals.Take("has" + Identifiers.ToPascalCase(member.Name));
                string? field = member.Formatter.Inline is null ? fields.Take(Identifiers.ToPascalCase(member.Name)) : null;
                list.Add(new WireMember(member, local, has, field));
            }

            return list;
        }

        private static bool HasCache(List<WireMember> members)
        {
            foreach (var member in members)
            {
                if (member.Field is not null)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Types that can contain themselves also check the stack: a depth limit set higher than the thread's stack can
        /// hold still ends in an exception, never in a crash.
        /// </summary>
        private static void StackGuard(SourceWriter writer, UserTypeModel type)
        {
            if (type.IsRecursive)
            {
                writer.Line(KnownTypes.System.RuntimeHelpers.EnsureSufficientExecutionStack + "();");
            }
        }

        /// <summary>Types that can contain themselves count their depth while written, so a cycle fails instead of overflowing the stack.</summary>
        private static void Guarded(SourceWriter writer, UserTypeModel type, System.Action body)
        {
            if (!type.IsRecursive)
            {
                body();
                return;
            }

            writer.Line("// " + type.DisplayName + " can contain itself: a cycle stops at the depth limit instead of overflowing the stack.");
            writer.Line(KnownTypes.Serialization.FormatterSupport.EnterWrite + "(options, " + Literal(type.DisplayName) + ");");
            writer.Open("try");
            body();
            writer.Close();
            writer.Open("finally");
            writer.Line(KnownTypes.Serialization.FormatterSupport.ExitWrite + "();");
            writer.Close();
        }

        private static void WriteMembers(SourceWriter writer, UserTypeModel type, List<WireMember> members)
        {
            if (type.Layout == ObjectLayout.Map)
            {
                writer.Line("writer.WriteMapHeader(" + Int(members.Count) + ");");
                foreach (var member in members)
                {
                    writer.Line("writer.WriteRaw(" + EncodedKey(member.Model.Key) + "); // \"" + member.Model.Key.Replace("\"", "\\\"") + "\"");
                    WriteValue(writer, member);
                }

                return;
            }

            int length = 0;
            foreach (var member in members)
            {
                length = System.Math.Max(length, member.Model.Index + 1);
            }

            writer.Line("writer.WriteArrayHeader(" + Int(length) + ");");
            for (int index = 0; index < length; index++)
            {
                var member = members.Find(m => m.Model.Index == index);
                if (member is null)
                {
                    writer.Line("writer.WriteNil(); // [" + Int(index) + "] no member");
                }
                else
                {
                    WriteValue(writer, member);
                }
            }
        }

        private static void WriteValue(SourceWriter writer, WireMember member)
        {
            string access = "value." + member.Model.Name;
            writer.Line(member.Model.Formatter.Inline switch
            {
                null => "formatters." + member.Field + ".Serialize(ref writer, " + access + ", options);",
                "String" => KnownTypes.Serialization.FormatterSupport.WriteString + "(ref writer, " + access + ");",
                _ => "writer.Write(" + access + ");",
            });
        }

        /// <summary>Reads the members into locals (with a flag each), skipping what this version does not know.</summary>
        private static void ReadMembers(SourceWriter writer, UserTypeModel type, List<WireMember> members)
        {
            writer.Line("options.Security.DepthStep(ref reader);");
            StackGuard(writer, type);
            if (HasCache(members))
            {
                writer.Line("var formatters = Formatters.For(options);");
            }

            if (IsDirect(type))
            {
                writer.Line("// Built first, then given each member that arrives: one that does not keeps its initializer.");
                writer.Line("var result = new " + type.Type + "();");
            }

            foreach (var member in members)
            {
                if (member.Model.Assignment == MemberAssignment.WriteOnly)
                {
                    continue;
                }

                if (!(IsDirect(type) && member.Model.Assignment == MemberAssignment.Setter))
                {
                    writer.Line(member.Model.Type + " " + member.Local + " = " + Initial(member.Model) + ";");
                }

                if (NeedsFlag(type, member.Model))
                {
                    writer.Line("bool " + member.Has + " = false;");
                }
            }

            writer.Line("string? member = null;");
            writer.Open("try");
            if (type.Layout == ObjectLayout.Map)
            {
                writer.Line("int count = reader.ReadMapHeader();");
                writer.Open("for (int i = 0; i < count; i++)");
                writer.Line("member = null;");
                writer.Line(KnownTypes.System.ReadOnlySpan + "<byte> key = " + KnownTypes.MessagePack.Internal.CodeGenHelpers.ReadStringSpan + "(ref reader);");

                // Keys are told apart by length first: most members then need a single comparison.
                var byLength = new SortedDictionary<int, List<WireMember>>();
                foreach (var member in members)
                {
                    int length = System.Text.Encoding.UTF8.GetByteCount(member.Model.Key);
                    if (!byLength.TryGetValue(length, out var group))
                    {
                        byLength.Add(length, group = new List<WireMember>());
                    }

                    group.Add(member);
                }

                if (members.Count > 0)
                {
                    writer.Open("switch (key.Length)");
                    foreach (var pair in byLength)
                    {
                        writer.Line("case " + Int(pair.Key) + ":");
                        writer.Indent();
                        foreach (var member in pair.Value)
                        {
                            writer.Open("if (" + KnownTypes.System.MemoryExtensions.SequenceEqual + "(key, " + Utf8(member.Model.Key) + "))");
                            writer.Line("member = " + Literal(member.Model.Key) + ";");
                            if (member.Model.Assignment != MemberAssignment.WriteOnly)
                            {
                                writer.Open("if (" + member.Has + ")");
                                writer.Line("throw " + KnownTypes.Serialization.FormatterSupport.DuplicateMember + "(" + Literal(type.DisplayName) + ", member);");
                                writer.Close();
                                writer.Line();
                            }

                            ReadValue(writer, type, member);
                            writer.Line("continue;");
                            writer.Close();
                            writer.Line();
                        }

                        writer.Line("break;");
                        writer.Unindent();
                    }

                    writer.Close();
                    writer.Line();
                }

                writer.Line("reader.Skip(); // a member this version does not know");
                writer.Close();
            }
            else
            {
                writer.Line("int count = reader.ReadArrayHeader();");
                int length = 0;
                foreach (var member in members)
                {
                    length = System.Math.Max(length, member.Model.Index + 1);
                }

                if (length > 0 && members.Count == length)
                {
                    // The common case, a writer of this version: every member in order, read straight through.
                    writer.Open("if (count == " + Int(length) + ")");
                    foreach (var member in members)
                    {
                        writer.Line("member = " + Literal(Identifiers.Unescape(member.Model.Name)) + ";");
                        ReadValue(writer, type, member);
                    }

                    writer.Close();
                    writer.Open("else");
                }

                writer.Open("for (int i = 0; i < count; i++)");
                writer.Open("switch (i)");
                foreach (var member in members)
                {
                    writer.Line("case " + Int(member.Model.Index) + ":");
                    writer.Indent();
                    writer.Line("member = " + Literal(Identifiers.Unescape(member.Model.Name)) + ";");
                    ReadValue(writer, type, member);
                    writer.Line("break;");
                    writer.Unindent();
                }

                writer.Line("default:");
                writer.Indent();
                writer.Line("member = null;");
                writer.Line("reader.Skip(); // a member this version does not know");
                writer.Line("break;");
                writer.Unindent();
                writer.Close();
                writer.Close();
                if (length > 0 && members.Count == length)
                {
                    writer.Close();
                }
            }

            writer.Close();
            writer.Open("catch (" + KnownTypes.System.Exception + " ex) when (member is not null && !" + KnownTypes.Serialization.FormatterSupport.IsAttributed + "(ex))");
            writer.Line("throw " + KnownTypes.Serialization.FormatterSupport.InMember + "(ex, " + Literal(type.DisplayName) + ", member);");
            writer.Close();
            writer.Line();
            writer.Line("reader.Depth--;");
        }

        private static void ReadValue(SourceWriter writer, UserTypeModel type, WireMember member)
        {
            if (member.Model.Assignment == MemberAssignment.WriteOnly)
            {
                writer.Line("reader.Skip(); // written for readers that want it, never read back");
                return;
            }

            writer.Line((IsDirect(type) && member.Model.Assignment == MemberAssignment.Setter ? "result." + member.Model.Name : member.Local) + " = " + ReadExpression(member) + ";");
            if (NeedsFlag(type, member.Model))
            {
                writer.Line(member.Has + " = true;");
            }
        }

        /// <summary>
        /// Whether a member needs a flag saying it arrived: to refuse a map that names it twice, to leave a member that did
        /// not arrive at its initializer, or to refuse a payload without a required member. Constructor arguments of an
        /// array (the arguments of a method) start at their defaults and need none.
        /// </summary>
        private static bool NeedsFlag(UserTypeModel type, MemberModel member) =>
            member.Assignment != MemberAssignment.WriteOnly
            && (type.Layout == ObjectLayout.Map || member.Required || member.Assignment is MemberAssignment.Initializer or MemberAssignment.Fill
                || (member.Assignment == MemberAssignment.Setter && !IsDirect(type)));

        /// <summary>
        /// Whether the object is built before its members are read and each member set as it arrives (the common DTO:
        /// a parameterless constructor and settable members), rather than read into locals first.
        /// </summary>
        private static bool IsDirect(UserTypeModel type)
        {
            if (!type.HasParameterlessConstruction || type.ConstructorArguments.Count > 0)
            {
                return false;
            }

            foreach (var member in type.Members)
            {
                if (member.Required || member.Assignment is MemberAssignment.Constructor or MemberAssignment.Initializer)
                {
                    return false;
                }
            }

            return true;
        }

        private static string ReadExpression(WireMember member)
        {
            var formatter = member.Model.Formatter;
            string bang = formatter.IsReferenceType && !formatter.Type.EndsWith("?", System.StringComparison.Ordinal) ? "!" : string.Empty;
            return formatter.Inline switch
            {
                null => "formatters." + member.Field + ".Deserialize(ref reader, options)" + bang,
                "String" => KnownTypes.Serialization.FormatterSupport.ReadString + "(ref reader)" + bang,
                string inline => "reader.Read" + inline + "()",
            };
        }

        private static string Initial(MemberModel member)
        {
            if (member.Default is { } value)
            {
                return value == "null" && !member.Type.EndsWith("?", System.StringComparison.Ordinal) ? "null!" : value;
            }

            return member.Formatter.IsValueType || member.Type.EndsWith("?", System.StringComparison.Ordinal) ? "default" : "default!";
        }

        /// <summary>
        /// Builds the object from what arrived: constructor arguments and init-only members in the constructor call,
        /// settable members only when they arrived (so a missing one keeps its initializer), get-only collections filled.
        /// </summary>
        private static void Construct(SourceWriter writer, UserTypeModel type, List<WireMember> members)
        {
            if (IsDirect(type))
            {
                foreach (var member in members)
                {
                    if (member.Model.Assignment == MemberAssignment.Fill)
                    {
                        Fill(writer, type, member);
                    }
                }

                writer.Line("return result;");
                return;
            }

            writer.Line("// Constructor arguments that did not arrive take their parameters' defaults; settable members are set only when they arrived.");
            foreach (var member in members)
            {
                if (member.Model.Required)
                {
                    writer.Open("if (!" + member.Has + ")");
                    writer.Line("throw " + KnownTypes.Serialization.FormatterSupport.MissingRequiredMember + "(" + Literal(type.DisplayName) + ", " + Literal(Identifiers.Unescape(member.Model.Name)) + ");");
                    writer.Close();
                    writer.Line();
                }
            }

            var arguments = new List<string>();
            foreach (var argument in type.ConstructorArguments)
            {
                arguments.Add(members[argument.Member].Local);
            }

            string creation = "new " + type.Type + "(" + string.Join(", ", arguments) + ")";
            var required = new List<string>();
            var initOnly = new List<WireMember>();
            foreach (var member in members)
            {
                if (member.Model.Assignment == MemberAssignment.Initializer)
                {
                    if (member.Model.Required)
                    {
                        required.Add(member.Model.Name + " = " + member.Local + ",");
                    }
                    else
                    {
                        initOnly.Add(member);
                    }
                }
            }

            if (initOnly.Count > 0)
            {
                writer.Line("// An init-only member that did not arrive keeps its initializer, read from an instance built the same way.");
                writer.Line(type.Type + "? defaults = null;");
            }

            var initializers = new List<string>(required);
            foreach (var member in initOnly)
            {
                string template = required.Count == 0 ? creation : creation + " { " + string.Join(" ", required) + " }";
                initializers.Add(member.Model.Name + " = " + member.Has + " ? " + member.Local + " : (defaults ??= " + template + ")." + member.Model.Name + ",");
            }

            bool after = false;
            foreach (var member in members)
            {
                after |= member.Model.Assignment is MemberAssignment.Setter or MemberAssignment.Fill;
            }

            if (initializers.Count == 0 && !after)
            {
                writer.Line("return " + creation + ";");
                return;
            }

            if (initializers.Count == 0)
            {
                writer.Line("var result = " + creation + ";");
            }
            else
            {
                writer.Line("var result = " + creation);
                writer.Line("{");
                writer.Indent();
                foreach (string initializer in initializers)
                {
                    writer.Line(initializer);
                }

                writer.Unindent();
                writer.Line("};");
            }

            foreach (var member in members)
            {
                switch (member.Model.Assignment)
                {
                    case MemberAssignment.Setter:
                        writer.Open("if (" + member.Has + ")");
                        writer.Line("result." + member.Model.Name + " = " + member.Local + ";");
                        writer.Close();
                        writer.Line();
                        break;
                    case MemberAssignment.Fill:
                        Fill(writer, type, member);
                        break;
                }
            }

            writer.Line("return result;");
        }

        private static void Fill(SourceWriter writer, UserTypeModel type, WireMember member)
        {
            writer.Open("if (" + member.Has + ")");
            writer.Line("// A get-only collection: the one the constructor made is cleared and given what arrived.");
            writer.Line(KnownTypes.Serialization.FormatterSupport.Fill + "<" + member.Model.FillElement + ">(result." + member.Model.Name + ", " + member.Local + ", " + Literal(type.DisplayName + "." + Identifiers.Unescape(member.Model.Name)) + ");");
            writer.Close();
            writer.Line();
        }

        /// <summary>The formatters of the members that are not written in place, from the options' resolver, once per resolver.</summary>
        private static void FormattersCache(SourceWriter writer, List<WireMember> members)
        {
            if (!HasCache(members))
            {
                return;
            }

            writer.Line();
            writer.Line("/// <summary>The formatters of the members not written in place, from the options' resolver, looked up once per resolver.</summary>");
            writer.Open("private sealed class Formatters");
            writer.Line("private static Formatters? s_last;");
            writer.Line();
            writer.Line("public readonly " + KnownTypes.MessagePack.IFormatterResolver + " Resolver;");
            foreach (var member in members)
            {
                if (member.Field is not null)
                {
                    writer.Line("public readonly " + FormatterOf(Nullable(member.Model.Formatter)) + " " + member.Field + ";");
                }
            }

            writer.Line();
            writer.Open("private Formatters(" + KnownTypes.MessagePack.IFormatterResolver + " resolver)");
            writer.Line("Resolver = resolver;");
            foreach (var member in members)
            {
                if (member.Field is not null)
                {
                    string lookup = member.Model.Formatter.CustomFormatter ?? KnownTypes.MessagePack.FormatterResolverExtensions.GetFormatterWithVerify + "<" + Nullable(member.Model.Formatter) + ">(resolver)";
                    writer.Line(member.Field + " = " + lookup + ";");
                }
            }

            writer.Close();
            writer.Line();
            writer.Open("public static Formatters For(" + KnownTypes.MessagePack.MessagePackSerializerOptions + " options)");
            writer.Line("var last = s_last;");
            writer.Line("return last is not null && ReferenceEquals(last.Resolver, options.Resolver) ? last : s_last = new Formatters(options.Resolver);");
            writer.Close();
            writer.Close();
        }

        /// <summary>A type as a formatter takes it: reference types nullable (formatters give and take null).</summary>
        private static string Nullable(TypeRef type) =>
            type.IsReferenceType && !type.Type.EndsWith("?", System.StringComparison.Ordinal) ? type.Type + "?" : type.Type;

        private static string UnionFormatter(UserTypeModel type)
        {
            var writer = StartFile(type.FormatterNamespace);
            writer.Line("/// <summary>");
            writer.Line("/// Writes and reads <see cref=\"" + Cref(type.Type) + "\"/> as MessagePack-CSharp's union layout, the array");
            writer.Line("/// <c>[key, value]</c> of its [Union] case, nil for null. A key this version does not know is an error, not a null.");
            writer.Line("/// </summary>");
            TypeAttributes(writer);
            writer.Open("internal sealed class " + type.FormatterName + " : " + FormatterOf(type.FormattedType));
            writer.Line("public static readonly " + type.FormatterName + " Instance = new " + type.FormatterName + "();");
            writer.Line();
            writer.Open(SerializeSignature(type.FormattedType));
            writer.Open("if (value is null)");
            writer.Line("writer.WriteNil();");
            writer.Line("return;");
            writer.Close();
            writer.Line();
            Guarded(writer, type, () =>
            {
                writer.Line("var formatters = Formatters.For(options);");
                writer.Line("var type = value.GetType();");
                writer.Line("writer.WriteArrayHeader(2);");
                for (int i = 0; i < type.Cases.Count; i++)
                {
                    var union = type.Cases[i];
                    writer.Open((i == 0 ? "if" : "else if") + " (type == typeof(" + union.Type + "))");
                    writer.Line("writer.Write(" + Int(union.Key) + ");");
                    writer.Line("formatters." + union.Name + ".Serialize(ref writer, (" + union.Type + ")value, options);");
                    writer.Close();
                }

                writer.Open(type.Cases.Count == 0 ? "if (true)" : "else");
                writer.Line("throw " + KnownTypes.Serialization.FormatterSupport.UnknownUnionCase + "(value, " + Literal(type.DisplayName) + ");");
                writer.Close();
            });
            writer.Close();
            writer.Line();
            writer.Open(DeserializeSignature(type.FormattedType));
            writer.Open("if (reader.TryReadNil())");
            writer.Line("return null;");
            writer.Close();
            writer.Line();
            writer.Line("options.Security.DepthStep(ref reader);");
            StackGuard(writer, type);
            writer.Line("var formatters = Formatters.For(options);");
            writer.Line("int count = reader.ReadArrayHeader();");
            writer.Open("if (count != 2)");
            writer.Line("throw " + KnownTypes.Serialization.FormatterSupport.BadUnionShape + "(count, " + Literal(type.DisplayName) + ");");
            writer.Close();
            writer.Line();
            writer.Line(type.FormattedType + " result;");
            writer.Line("long key = reader.ReadInt64();");
            writer.Open("switch (key)");
            foreach (var union in type.Cases)
            {
                writer.Line("case " + Int(union.Key) + ":");
                writer.Indent();
                writer.Line("result = formatters." + union.Name + ".Deserialize(ref reader, options);");
                writer.Line("break;");
                writer.Unindent();
            }

            writer.Line("default:");
            writer.Indent();
            writer.Line("throw " + KnownTypes.Serialization.FormatterSupport.UnknownUnionTag + "(key, " + Literal(type.DisplayName) + ");");
            writer.Unindent();
            writer.Close();
            writer.Line();
            writer.Line("reader.Depth--;");
            writer.Line("return result;");
            writer.Close();
            writer.Line();
            writer.Line("/// <summary>The formatters of the cases, from the options' resolver, looked up once per resolver.</summary>");
            writer.Open("private sealed class Formatters");
            writer.Line("private static Formatters? s_last;");
            writer.Line();
            writer.Line("public readonly " + KnownTypes.MessagePack.IFormatterResolver + " Resolver;");
            foreach (var union in type.Cases)
            {
                writer.Line("public readonly " + FormatterOf(union.IsValueType ? union.Type : union.Type + "?") + " " + union.Name + ";");
            }

            writer.Line();
            writer.Open("private Formatters(" + KnownTypes.MessagePack.IFormatterResolver + " resolver)");
            writer.Line("Resolver = resolver;");
            foreach (var union in type.Cases)
            {
                writer.Line(union.Name + " = " + KnownTypes.MessagePack.FormatterResolverExtensions.GetFormatterWithVerify + "<" + (union.IsValueType ? union.Type : union.Type + "?") + ">(resolver);");
            }

            writer.Close();
            writer.Line();
            writer.Open("public static Formatters For(" + KnownTypes.MessagePack.MessagePackSerializerOptions + " options)");
            writer.Line("var last = s_last;");
            writer.Line("return last is not null && ReferenceEquals(last.Resolver, options.Resolver) ? last : s_last = new Formatters(options.Resolver);");
            writer.Close();
            writer.Close();
            writer.Close();
            return writer.ToString();
        }

        /// <summary>A map key as the bytes of a MessagePack str, header included: written in one copy.</summary>
        private static string EncodedKey(string key)
        {
            var bytes = new List<byte>();
            byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(key);
            if (utf8.Length <= 31)
            {
                bytes.Add((byte)(0xa0 | utf8.Length));
            }
            else if (utf8.Length <= 255)
            {
                bytes.Add(0xd9);
                bytes.Add((byte)utf8.Length);
            }
            else
            {
                bytes.Add(0xda);
                bytes.Add((byte)(utf8.Length >> 8));
                bytes.Add((byte)utf8.Length);
            }

            bytes.AddRange(utf8);
            var hex = new List<string>();
            foreach (byte b in bytes)
            {
                hex.Add("0x" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }

            return "new byte[] { " + string.Join(", ", hex) + " }";
        }

        /// <summary>The signature of <c>IMessagePackFormatter&lt;T&gt;.Serialize</c> for <paramref name="type"/>.</summary>
        private static string SerializeSignature(string type) =>
            "public void Serialize(ref " + KnownTypes.MessagePack.MessagePackWriter + " writer, " + type + " value, " + KnownTypes.MessagePack.MessagePackSerializerOptions + " options)";

        /// <summary>The signature of <c>IMessagePackFormatter&lt;T&gt;.Deserialize</c> for <paramref name="type"/>.</summary>
        private static string DeserializeSignature(string type) =>
            "public " + type + " Deserialize(ref " + KnownTypes.MessagePack.MessagePackReader + " reader, " + KnownTypes.MessagePack.MessagePackSerializerOptions + " options)";

        /// <summary>A UTF-8 literal of a map key.</summary>
        private static string Utf8(string text) => Literal(text) + "u8";

        /// <summary>A type in a cref: generic arguments in braces.</summary>
        private static string Cref(string type) => type.Replace('<', '{').Replace('>', '}');

        /// <summary>A member of an object formatter with the generated names it reads into.</summary>
        private sealed record WireMember(MemberModel Model, string Local, string Has, string? Field);
    }
}
