using System.Reflection;
using System.Text.Json;
using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>Builds an <see cref="ActivityDescriptor"/> from an activity class and its attributes (the single source of both the runtime's type map and Studio's descriptors).</summary>
public static class ActivityDescriptorFactory
{
    /// <summary>The descriptor of <paramref name="type"/>, which must be a non-abstract <see cref="Activity"/> with <see cref="ActivityAttribute"/>.</summary>
    public static ActivityDescriptor Create(Type type)
    {
        var activity = type.GetCustomAttribute<ActivityAttribute>()
            ?? throw new ArgumentException($"{type.FullName} has no [Activity] attribute.", nameof(type));
        if (type.IsAbstract || !typeof(Activity).IsAssignableFrom(type))
            throw new ArgumentException($"{type.FullName} is not a concrete Activity.", nameof(type));
        if (type.GetConstructor(Type.EmptyTypes) is null)
            throw new ArgumentException($"Activity {type.FullName} needs a public parameterless constructor (activities are created per node from JSON).", nameof(type));

        var name = activity.TypeName ?? type.Name;
        var typeName = $"{activity.Namespace}.{name}";
        var outcomes = type.GetCustomAttribute<FlowNodeAttribute>()?.Outcomes ?? [Outcomes.Done];
        return new ActivityDescriptor(
            TypeName: typeName,
            Namespace: activity.Namespace,
            Name: name,
            Version: activity.Version,
            Category: activity.Category ?? activity.Namespace,
            DisplayName: activity.DisplayName ?? Humanize(name),
            Description: activity.Description,
            ClrType: type,
            Outcomes: [.. outcomes],
            Inputs: InputsOf(type),
            Outputs: OutputsOf(type),
            Recovery: type.GetCustomAttribute<RecoveryAttribute>()?.Policy ?? RecoveryPolicy.Compensate,
            IsStart: typeName == BuiltIn.StartType,
            IsTerminal: typeName == BuiltIn.FinishType || typeof(ITerminalNode).IsAssignableFrom(type))
        {
            DynamicOutcomesInput = type.GetCustomAttribute<DynamicOutcomesAttribute>()?.InputName,
            IsJoin = typeof(IJoinActivity).IsAssignableFrom(type),
        };
    }

    private static IReadOnlyList<InputDescriptor> InputsOf(Type type) =>
        [.. PropertiesOf(type, typeof(Input<>)).Select(p =>
        {
            var valueType = p.PropertyType.GetGenericArguments()[0];
            var attribute = p.GetCustomAttribute<InputAttribute>() ?? new InputAttribute();
            var underlying = Nullable.GetUnderlyingType(valueType) ?? valueType;
            return new InputDescriptor(
                Name: CamelCase(p.Name),
                PropertyName: p.Name,
                ValueType: valueType,
                TypeName: ValueTypeNames.Of(valueType),
                DisplayName: attribute.DisplayName ?? Humanize(p.Name),
                Description: attribute.Description,
                UIHint: attribute.UIHint ?? ValueTypeNames.DefaultUIHint(valueType),
                Default: InputDefaults.Of(type, p.Name, valueType, attribute),
                Options: underlying.IsEnum ? Enum.GetNames(underlying) : null,
                Category: attribute.Category,
                Order: attribute.Order,
                IsSensitive: attribute.IsSensitive,
                Required: attribute.Required);
        })];

    private static IReadOnlyList<OutputDescriptor> OutputsOf(Type type) =>
        [.. PropertiesOf(type, typeof(Output<>)).Select(p =>
        {
            var valueType = p.PropertyType.GetGenericArguments()[0];
            var attribute = p.GetCustomAttribute<OutputAttribute>() ?? new OutputAttribute();
            return new OutputDescriptor(CamelCase(p.Name), p.Name, valueType, ValueTypeNames.Of(valueType),
                attribute.DisplayName ?? Humanize(p.Name), attribute.Description);
        })];

    // Declaration order (base class properties last, like Elsa's designer) keeps the descriptor stable across builds.
    private static IEnumerable<PropertyInfo> PropertiesOf(Type type, Type genericWrapper) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == genericWrapper
                        && p.CanWrite && p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.DeclaringType == type ? 0 : 1)
            .ThenBy(p => p.MetadataToken);

    /// <summary>The JSON property name of an input or output (<c>TimeSpan</c> → <c>timeSpan</c>).</summary>
    public static string CamelCase(string name) => JsonNamingPolicy.CamelCase.ConvertName(name);

    /// <summary><c>TargetHost</c> → <c>Target Host</c>.</summary>
    public static string Humanize(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                builder.Append(' ');
            builder.Append(name[i]);
        }
        return builder.ToString();
    }
}
