using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Names the workflow instance (Elsa's <c>Elsa.SetName</c>); the name is journaled and kept with the instance.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.PrimitivesCategory, "Set the name of the workflow instance.", DisplayName = "Set Name")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class SetName : CodeActivity
{
    [Input(Description = "The name to give the workflow instance.")]
    public Input<string>? Value { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var name = context.Get(Value) ?? "";
        context.SetInstanceName(name);
        await context.JournalAsync($"Instance name: {name}");
    }
}
