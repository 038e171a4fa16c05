namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// Declares that an activity's outcome ports come from one of its inputs (a list of names, like Elsa's
/// <c>FlowFork.Branches</c>) instead of <see cref="Model.FlowNodeAttribute"/>. Validation accepts a connection from a
/// port in that list when the input is a literal, and from any port when the list is computed at run time.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class DynamicOutcomesAttribute(string inputName) : Attribute
{
    /// <summary>The camelCase name of the input that lists the outcomes.</summary>
    public string InputName { get; } = inputName;
}
