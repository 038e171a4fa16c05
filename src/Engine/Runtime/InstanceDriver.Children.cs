using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Runtime.Inline;
using Activity = Elsa.Migration.Engine.Model.Activity;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// Child activities of containers (Sequence, loops, nested flowcharts, workflows used as activities) run inside the
/// durable execution of their top-level activity: the container is what the database records as running, so recovery
/// applies the container's policy to the whole. A child that waits on a timer waits in-process; one that waits for
/// another stimulus is refused, because only top-level bookmarks are durable.
/// </summary>
internal sealed partial class InstanceDriver
{
    // One activity object per child JSON object, shared by every iteration (building one costs reflection).
    private static readonly ConditionalWeakTable<JsonObject, Activity> ChildActivities = new();

    /// <summary>Counts one activity execution; throws when the instance passes <see cref="MigrationEngineOptions.MaxActivityExecutions"/>.</summary>
    public void CountExecution(string activityId)
    {
        var count = Interlocked.Increment(ref _executionCount);
        if (count > Services.Options.MaxActivityExecutions)
            throw new ExecutionLimitExceededException(LimitMessage(activityId));
    }

    public async ValueTask<ChildResult> RunChildAsync(RunningActivity execution, JsonObject child, ExecutionFrame frame, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var activity = ChildActivities.GetValue(child, CreateChild);
        CountExecution(activity.Id);
        var context = new RuntimeActivityContext(this, execution, activity, frame, cancellationToken, isChild: true);
        await activity.ExecuteAsync(context);
        while (!context.IsCompleted && context.SentSignal == ChildSignal.None)
        {
            var timer = context.Bookmarks.Where(b => b.ResumeAt is not null).MinBy(b => b.ResumeAt);
            if (timer is null)
                throw new NotSupportedException(context.Bookmarks.Count == 0
                    ? $"Activity '{activity.Id}' ({activity.Type}) returned without completing or creating a bookmark."
                    : $"Activity '{activity.Id}' ({activity.Type}) waits for '{context.Bookmarks[0].Name}' inside a container; this runtime keeps such waits " +
                      "only for activities placed directly in the workflow's flowchart. Move it out of the container.");
            var delay = timer.ResumeAt!.Value - Services.Time.GetUtcNow();
            if (delay > TimeSpan.Zero)
                await Task.Delay(delay, Services.Time, cancellationToken);
            context.ClearBookmarks();
            await activity.OnResumeAsync(context, timer);
        }
        // A terminal node (End, Finish) ends the flowchart it is in, like Elsa.Complete.
        if (context.SentSignal == ChildSignal.None && activity is ITerminalNode)
            return new ChildResult([Outcomes.Done], ChildSignal.Complete);
        return new ChildResult(context.Outcomes ?? [], context.SentSignal);
    }

    /// <summary>Runs a workflow definition used as an activity in a frame of its own; returns its outcomes and outputs.</summary>
    public async ValueTask<(IReadOnlyList<string> Outcomes, JsonObject Outputs)> RunWorkflowAsync(RunningActivity execution, WorkflowDefinition definition,
        IReadOnlyDictionary<string, JsonNode?> inputs, ExecutionFrame parent, CancellationToken cancellationToken)
    {
        var variables = FlowGraph.TypedVariables(definition);
        var frame = ExecutionFrame.ForWorkflow(definition, variables, inputs, [], parent.Instance);
        var result = await RunChildAsync(execution, definition.Root.Json, frame, cancellationToken);
        JsonObject outputs;
        lock (_variablesLock)
            outputs = (JsonObject)frame.Outputs.DeepClone();
        return (result.Outcomes, outputs);
    }

    private Activity CreateChild(JsonObject json)
    {
        var node = DefinitionReader.ReadActivityNode(json)
            ?? throw new InvalidOperationException($"A child activity has no id or type: {Shorten(json.ToJsonString())}");
        if (Services.Registry.Find(node.Type) is not null)
            return Services.Registry.Create(node);
        if (Services.WorkflowActivities.Find(node) is { } definition)
            return new WorkflowDefinitionActivity(definition) { Id = node.Id, Type = node.Type, Node = node };
        throw new InvalidOperationException($"Activity '{node.Id}' has the unknown type '{node.Type}': neither an activity nor a published workflow definition of that name. " +
            "Import and publish the child workflow first, or fix the type.");
    }

    private string LimitMessage(string activityId)
    {
        var loop = FindLoop(activityId);
        var where = loop is null
            ? $"the last activity started was '{activityId}'"
            : $"it loops through {string.Join(" -> ", loop.Select(id => $"'{id}'"))}";
        return $"The instance ran more than {Services.Options.MaxActivityExecutions} activity executions (MaxActivityExecutions) and was stopped: {where}. " +
            "Give the loop an exit condition, or raise MaxActivityExecutions if the work really is that long.";
    }

    // The shortest cycle through the activity in the root flowchart (breadth-first over outbound connections).
    private List<string>? FindLoop(string activityId)
    {
        if (!Graph.Nodes.ContainsKey(activityId))
            return null;
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>([activityId]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var connection in Graph.Definition.Root.Connections.Where(c => c.SourceId == current))
            {
                if (connection.TargetId == activityId)
                {
                    var path = new List<string> { activityId };
                    for (var at = current; at != activityId; at = previous[at])
                        path.Insert(1, at);
                    path.Add(activityId);
                    return path;
                }
                if (previous.TryAdd(connection.TargetId, current))
                    queue.Enqueue(connection.TargetId);
            }
        }
        return null;
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";
}

/// <summary>The instance passed its activity-execution limit; it faults (a Failed port does not catch it).</summary>
internal sealed class ExecutionLimitExceededException(string message) : Exception(message);
