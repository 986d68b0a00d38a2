using System.Reflection;
using System.Reflection.Emit;

namespace Macula.Tests.Architecture;

/// <summary>
/// Every type of one assembly that another type of the same assembly uses: in its base type, interfaces, fields,
/// properties, events, method and constructor signatures, generic constraints, and the members its IL touches.
/// Compiler-made nested types (closures, async state machines) count as their declaring type.
/// </summary>
internal static class TypeReferences
{
    private static readonly OpCode[] OneByte = new OpCode[256];
    private static readonly OpCode[] TwoByte = new OpCode[256];

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static TypeReferences()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)field.GetValue(null)!;
            ushort value = unchecked((ushort)op.Value);
            if (value < 0x100)
            {
                OneByte[value] = op;
            }
            else if ((value & 0xff00) == 0xfe00)
            {
                TwoByte[value & 0xff] = op;
            }
        }
    }

    /// <summary>The outermost declaring type: a nested type belongs to the type it is written in.</summary>
    public static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    /// <summary>For each top-level type of <paramref name="assembly"/>, the top-level types of the same assembly it uses.</summary>
    public static Dictionary<Type, HashSet<Type>> Of(Assembly assembly)
    {
        var result = new Dictionary<Type, HashSet<Type>>();
        foreach (var type in assembly.GetTypes())
        {
            var owner = Outermost(type);
            if (!result.TryGetValue(owner, out var used))
            {
                result[owner] = used = [];
            }

            void Add(Type? t)
            {
                if (t is null)
                {
                    return;
                }

                if (t.HasElementType)
                {
                    Add(t.GetElementType());
                    return;
                }

                if (t.IsGenericType && !t.IsGenericTypeDefinition)
                {
                    foreach (var argument in t.GetGenericArguments())
                    {
                        Add(argument);
                    }

                    Add(t.GetGenericTypeDefinition());
                    return;
                }

                if (t.IsGenericParameter)
                {
                    foreach (var constraint in t.GetGenericParameterConstraints())
                    {
                        Add(constraint);
                    }

                    return;
                }

                if (t.Assembly == assembly)
                {
                    var top = Outermost(t);
                    if (top != owner)
                    {
                        used.Add(top);
                    }
                }
            }

            void AddMethod(MethodBase method)
            {
                Add(method.DeclaringType);
                foreach (var parameter in method.GetParameters())
                {
                    Add(parameter.ParameterType);
                }

                if (method is MethodInfo info)
                {
                    Add(info.ReturnType);
                    if (info.IsGenericMethod)
                    {
                        foreach (var argument in info.GetGenericArguments())
                        {
                            Add(argument);
                        }
                    }
                }
            }

            Add(type.BaseType);
            foreach (var contract in type.GetInterfaces())
            {
                Add(contract);
            }

            foreach (var argument in type.IsGenericTypeDefinition ? type.GetGenericArguments() : [])
            {
                Add(argument);
            }

            foreach (var attribute in type.GetCustomAttributesData())
            {
                Add(attribute.AttributeType);
            }

            foreach (var field in type.GetFields(All))
            {
                Add(field.FieldType);
            }

            foreach (var property in type.GetProperties(All))
            {
                Add(property.PropertyType);
            }

            foreach (var @event in type.GetEvents(All))
            {
                Add(@event.EventHandlerType);
            }

            foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                AddMethod(method);
                foreach (var attribute in method.GetCustomAttributesData())
                {
                    Add(attribute.AttributeType);
                }

                var body = method.GetMethodBody();
                if (body is null)
                {
                    continue;
                }

                foreach (var local in body.LocalVariables)
                {
                    Add(local.LocalType);
                }

                var il = body.GetILAsByteArray() ?? [];
                var typeArguments = type.IsGenericType ? type.GetGenericArguments() : null;
                var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
                foreach (int token in Tokens(il))
                {
                    MemberInfo? member;
                    try
                    {
                        member = type.Module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                        continue;
                    }

                    switch (member)
                    {
                        case Type t:
                            Add(t);
                            break;
                        case MethodBase m:
                            AddMethod(m);
                            break;
                        case FieldInfo f:
                            Add(f.DeclaringType);
                            Add(f.FieldType);
                            break;
                    }
                }
            }
        }

        return result;
    }

    /// <summary>The metadata tokens of the type, method and field operands in <paramref name="il"/>.</summary>
    private static IEnumerable<int> Tokens(byte[] il)
    {
        int i = 0;
        while (i < il.Length)
        {
            OpCode op;
            byte code = il[i++];
            if (code == 0xfe)
            {
                op = TwoByte[il[i++]];
            }
            else
            {
                op = OneByte[code];
            }

            switch (op.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    yield return BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    int count = BitConverter.ToInt32(il, i);
                    i += 4 + (4 * count);
                    break;
                default:
                    // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR.
                    i += 4;
                    break;
            }
        }
    }
}
