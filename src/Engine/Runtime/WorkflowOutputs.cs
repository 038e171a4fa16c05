using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>What an instance returned: the outputs <c>Elsa.SetOutput</c> wrote and the outcomes an <c>Elsa.Complete</c> at the root gave.</summary>
public static class WorkflowOutputs
{
    /// <summary>The instance's workflow outputs by name (empty when none were set).</summary>
    public static JsonObject Read(WorkflowInstanceRecord instance) => ExecutionState.Deserialize(instance.StateJson).Outputs;

    /// <summary>The outcomes an <c>Elsa.Complete</c> finished the instance with, or empty.</summary>
    public static IReadOnlyList<string> Outcomes(WorkflowInstanceRecord instance) => ExecutionState.Deserialize(instance.StateJson).Outcomes ?? [];

    /// <summary>The name <c>Elsa.SetName</c> gave the instance, or null.</summary>
    public static string? Name(WorkflowInstanceRecord instance) => ExecutionState.Deserialize(instance.StateJson).Name;
}
