using System.Reflection;
using System.Reflection.Emit;

namespace Elsa.Migration.Host.Tests.Composition;

/// <summary>Which of an assembly's own types each of its types uses: in signatures, base types, fields and in method
/// bodies (the IL's type, method and field tokens). Reading the compiled code rather than <c>using</c> lines also counts
/// names written out (<c>Scheduling.DefinitionTriggers</c>) and ignores unused usings.</summary>
internal static class NamespaceReferences
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
                                          | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Every (user, used) pair of distinct types of <paramref name="assembly"/>.</summary>
    public static IEnumerable<(Type User, Type Used)> Of(Assembly assembly) =>
        assembly.GetTypes()
            .SelectMany(user => TypesUsedBy(user).Where(used => used.Assembly == assembly && used != user).Select(used => (user, used)))
            .Distinct();

    private static IEnumerable<Type> TypesUsedBy(Type type)
    {
        var direct = new List<Type?> { type.BaseType };
        direct.AddRange(type.GetInterfaces());
        direct.AddRange(type.GetFields(Declared).Select(f => f.FieldType));
        direct.AddRange(type.GetProperties(Declared).Select(p => p.PropertyType));
        direct.AddRange(type.GetEvents(Declared).Select(e => e.EventHandlerType));
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            direct.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method is MethodInfo info)
                direct.Add(info.ReturnType);
            direct.AddRange(method.GetMethodBody()?.LocalVariables.Select(l => l.LocalType) ?? []);
            direct.AddRange(TypesInBody(method));
        }
        return direct.OfType<Type>().SelectMany(Expand);
    }

    /// <summary>A type with its element and generic argument types (<c>List&lt;Schedule&gt;[]</c> uses Schedule).</summary>
    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.IsGenericParameter)
            yield break;
        if (type.HasElementType)
        {
            foreach (var inner in Expand(type.GetElementType()!))
                yield return inner;
            yield break;
        }
        yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
            foreach (var argument in type.GetGenericArguments().SelectMany(Expand))
                yield return argument;
    }

    private static IEnumerable<Type> TypesInBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
            yield break;
        var typeArguments = method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            var value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            if (opCode.OperandType is OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType)
            {
                var member = method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                foreach (var used in TypesOf(member))
                    yield return used;
            }
            at += OperandSize(opCode, il, at);
        }
    }

    private static IEnumerable<Type> TypesOf(MemberInfo? member) => member switch
    {
        Type type => [type],
        MethodInfo { IsGenericMethod: true } method => [method.DeclaringType!, .. method.GetGenericArguments()],
        FieldInfo field => [field.DeclaringType!, field.FieldType],
        { DeclaringType: { } declaring } => [declaring],
        _ => [],
    };

    private static int OperandSize(OpCode opCode, byte[] il, int at) => opCode.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
