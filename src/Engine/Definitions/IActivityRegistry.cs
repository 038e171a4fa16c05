using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>The activity types known to this process, discovered by scanning assemblies for <see cref="ActivityAttribute"/>.</summary>
public interface IActivityRegistry
{
    /// <summary>Every known activity type.</summary>
    IReadOnlyCollection<ActivityDescriptor> Descriptors { get; }

    /// <summary>The descriptor of a JSON type name, or null when unknown.</summary>
    ActivityDescriptor? Find(string typeName);

    /// <summary>Creates the activity object for a node: Id and Type set, every <c>Input&lt;T&gt;</c> property assigned
    /// from the node's expression (an empty literal when absent) with the input's default, every <c>Output&lt;T&gt;</c> bound to its variable.</summary>
    Activity Create(ActivityNode node);
}
