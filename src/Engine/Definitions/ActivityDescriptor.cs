using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// Everything known about an activity type, generated from its class and attributes. The runtime's type map and the
/// designer's activity descriptors both come from these: never hand-maintain a second list.
/// </summary>
public sealed record ActivityDescriptor(
    string TypeName,
    string Namespace,
    string Name,
    int Version,
    string Category,
    string DisplayName,
    string? Description,
    Type ClrType,
    IReadOnlyList<string> Outcomes,
    IReadOnlyList<InputDescriptor> Inputs,
    IReadOnlyList<OutputDescriptor> Outputs,
    RecoveryPolicy Recovery,
    bool IsStart,
    bool IsTerminal)
{
    /// <summary>The input whose list value names the outcome ports (e.g. <c>branches</c> of <c>Elsa.FlowFork</c>), when the ports are dynamic.</summary>
    public string? DynamicOutcomesInput { get; init; }

    /// <summary>True when the runtime must merge inbound branches before running it (<c>Elsa.FlowJoin</c>).</summary>
    public bool IsJoin { get; init; }
}

/// <summary>An input of an activity type. <see cref="Name"/> is the camelCase JSON property name; <see cref="Options"/>
/// are the names of an enum input's values (the dropdown's choices).</summary>
public sealed record InputDescriptor(
    string Name,
    string PropertyName,
    Type ValueType,
    string TypeName,
    string DisplayName,
    string? Description,
    string UIHint,
    InputDefault? Default,
    IReadOnlyList<string>? Options,
    string? Category,
    int Order,
    bool IsSensitive,
    bool Required)
{
    /// <summary>The default value, of <see cref="ValueType"/>; null when the input has none.</summary>
    public object? DefaultValue => Default?.Value;
}

/// <summary>An output of an activity type.</summary>
public sealed record OutputDescriptor(string Name, string PropertyName, Type ValueType, string TypeName, string DisplayName, string? Description);
