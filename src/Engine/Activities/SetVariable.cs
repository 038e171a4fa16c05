using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Assigns a value to a workflow variable (Elsa's <c>Elsa.SetVariable</c>).</summary>
[Activity(BuiltIn.Namespace, BuiltIn.PrimitivesCategory, "Assign a value to a workflow variable.", DisplayName = "Set Variable")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class SetVariable : CodeActivity
{
    /// <summary>The variable's id (what Studio stores) or name.</summary>
    [Input(Description = "The variable to assign the value to.", UIHint = InputUIHints.VariablePicker, Required = true)]
    public Input<string>? Variable { get; set; }

    /// <summary>The value to assign.</summary>
    [Input(Description = "The value to assign.")]
    public Input<object>? Value { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var reference = context.Get(Variable);
        var name = string.IsNullOrEmpty(reference) ? null : context.ResolveVariableName(reference);
        if (name is null)
            throw new InvalidOperationException(
                $"SetVariable '{context.Activity.Id}': the workflow has no variable '{reference}'. Add it to the definition's variables or pick an existing one.");
        var value = context.Get(Value);
        context.SetVariable(name, value as JsonNode ?? (value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType())));
        return ValueTask.CompletedTask;
    }
}
