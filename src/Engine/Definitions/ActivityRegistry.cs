using System.Collections.Frozen;
using System.Reflection;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// The activity types of this process, found by scanning assemblies for non-abstract <see cref="Activity"/>
/// subclasses with <see cref="ActivityAttribute"/>. Creates the activity object of each node of a definition.
/// </summary>
public sealed class ActivityRegistry : IActivityRegistry
{
    private readonly FrozenDictionary<string, ActivityDescriptor> _byTypeName;

    /// <summary>A registry of the given descriptors; type names must be unique.</summary>
    public ActivityRegistry(IEnumerable<ActivityDescriptor> descriptors)
    {
        var byTypeName = new Dictionary<string, ActivityDescriptor>(StringComparer.Ordinal);
        foreach (var descriptor in descriptors)
        {
            if (byTypeName.TryGetValue(descriptor.TypeName, out var existing))
            {
                if (existing.ClrType == descriptor.ClrType)
                    continue;
                throw new InvalidOperationException(
                    $"Two activity classes claim the type name '{descriptor.TypeName}': {Describe(existing.ClrType)} and {Describe(descriptor.ClrType)}. " +
                    "Type names are a persisted contract: rename one class or set [Activity(TypeName = ...)] on it.");
            }
            byTypeName.Add(descriptor.TypeName, descriptor);
        }
        _byTypeName = byTypeName.ToFrozenDictionary(StringComparer.Ordinal);
        Descriptors = [.. _byTypeName.Values.OrderBy(d => d.TypeName, StringComparer.Ordinal)];
    }

    /// <summary>Scans <paramref name="assemblies"/> (include <c>typeof(Start).Assembly</c> for Elsa's built-in activities).</summary>
    public static ActivityRegistry FromAssemblies(params Assembly[] assemblies) =>
        FromTypes(assemblies.Distinct().SelectMany(a => a.GetExportedTypes()));

    /// <summary>Registers exactly the given types (those that are activities; others are ignored).</summary>
    public static ActivityRegistry FromTypes(IEnumerable<Type> types) =>
        new(types.Where(IsActivityType).Select(ActivityDescriptorFactory.Create));

    /// <inheritdoc />
    public IReadOnlyCollection<ActivityDescriptor> Descriptors { get; }

    /// <inheritdoc />
    public ActivityDescriptor? Find(string typeName) => _byTypeName.GetValueOrDefault(typeName);

    /// <inheritdoc />
    public Activity Create(ActivityNode node)
    {
        var descriptor = Find(node.Type)
            ?? throw new InvalidOperationException($"Activity '{node.Id}' has the unknown type '{node.Type}'; validate the definition before running it.");
        var activity = (Activity)Activator.CreateInstance(descriptor.ClrType)!;
        activity.Id = node.Id;
        activity.Type = node.Type;
        activity.Node = node;
        foreach (var input in descriptor.Inputs)
        {
            // An absent input is an empty literal: it takes the default where an empty one does, when it is evaluated.
            var expression = node.Inputs.GetValueOrDefault(input.Name) ?? new Expression(Expression.Types.Literal, null);
            var value = Activator.CreateInstance(typeof(Input<>).MakeGenericType(input.ValueType),
                BindingFlags.Public | BindingFlags.Instance, binder: null, args: [expression, input.Default], culture: null, activationAttributes: null);
            descriptor.ClrType.GetProperty(input.PropertyName)!.SetValue(activity, value);
        }
        foreach (var output in descriptor.Outputs)
        {
            var value = (Output)Activator.CreateInstance(typeof(Output<>).MakeGenericType(output.ValueType))!;
            var bound = node.Outputs.GetValueOrDefault(output.Name);
            descriptor.ClrType.GetProperty(output.PropertyName)!.SetValue(activity, bound is null ? value : WithVariable(value, bound));
        }
        return activity;
    }

    // Output<T>.VariableId is init-only; set it on the fresh object through reflection (same effect as an initializer).
    private static Output WithVariable(Output output, string variableId)
    {
        typeof(Output).GetProperty(nameof(Output.VariableId))!.SetValue(output, variableId);
        return output;
    }

    private static bool IsActivityType(Type type) =>
        type is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false }
        && typeof(Activity).IsAssignableFrom(type)
        && type.GetCustomAttribute<ActivityAttribute>() is not null;

    private static string Describe(Type type) => $"{type.FullName} ({type.Assembly.GetName().Name})";
}
