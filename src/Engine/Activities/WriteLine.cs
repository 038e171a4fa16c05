using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Writes a line of text to the instance's journal (Elsa's <c>Elsa.WriteLine</c> writes to the console).</summary>
[Activity(BuiltIn.Namespace, BuiltIn.ConsoleCategory, "Write a line of text to the workflow's journal.", DisplayName = "Write Line")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class WriteLine : CodeActivity
{
    /// <summary>The text to write.</summary>
    [Input(Description = "The text to write.")]
    public Input<string>? Text { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context) =>
        await context.JournalAsync(context.Get(Text) ?? "");
}
