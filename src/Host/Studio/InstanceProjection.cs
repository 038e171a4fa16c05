using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Host.Studio;

/// <summary>
/// Studio's view of one instance (summary, workflow state, journal records, activity execution records and the badge
/// stats), projected from our instance row and journal. Node ids are <c>Workflow1:{root id}:{activity id}</c>, the ids
/// the definition Studio loads carries (see <see cref="StudioShapes.AssignNodeIds"/>).
/// </summary>
public sealed class InstanceProjection
{
    private readonly WorkflowInstanceRecord _instance;
    private readonly string _rootNodeId;
    private readonly Dictionary<string, string> _activityNames = [];

    public InstanceProjection(WorkflowInstanceRecord instance, IReadOnlyList<JournalEntry> journal)
    {
        _instance = instance;
        var root = (JsonNode.Parse(instance.DefinitionJson) as JsonObject)?["root"] as JsonObject;
        _rootNodeId = StudioShapes.WorkflowNodeId + ":" + (root?["id"]?.GetValue<string>() ?? "flowchart1");
        foreach (var activity in (root?["activities"] as JsonArray ?? []).OfType<JsonObject>())
            if (activity["id"]?.GetValue<string>() is { } id)
                _activityNames[id] = activity["name"]?.GetValue<string>() ?? id;
        Journal = journal;
        Executions = BuildExecutions(journal);
    }

    public IReadOnlyList<JournalEntry> Journal { get; }

    /// <summary>One record per activity execution (a start and what followed it), oldest first.</summary>
    public IReadOnlyList<JsonObject> Executions { get; }

    public static string Status(WorkflowStatus status) => status.IsTerminal() ? "Finished" : "Running";

    public static string SubStatus(WorkflowStatus status) => status switch
    {
        WorkflowStatus.Running => "Executing",
        WorkflowStatus.Suspended => "Suspended",
        WorkflowStatus.Finished => "Finished",
        WorkflowStatus.Faulted => "Faulted",
        WorkflowStatus.Cancelled => "Cancelled",
        _ => "Pending",
    };

    public static JsonObject Summary(WorkflowInstanceSummary i, int incidentCount = 0) => new()
    {
        ["id"] = i.Id,
        ["definitionId"] = i.DefinitionId,
        ["definitionVersionId"] = StudioShapes.VersionId(i.DefinitionId, i.DefinitionVersion),
        ["version"] = i.DefinitionVersion,
        ["status"] = Status(i.Status),
        ["subStatus"] = SubStatus(i.Status),
        ["correlationId"] = i.CorrelationId,
        ["name"] = i.DefinitionName,
        ["incidentCount"] = incidentCount,
        ["createdAt"] = Time(i.CreatedAt),
        ["updatedAt"] = Time(i.UpdatedAt),
        ["finishedAt"] = Time(i.FinishedAt),
    };

    /// <summary><c>WorkflowInstance</c> with its <c>workflowState</c> (incidents from faulted activities).</summary>
    public JsonObject Instance()
    {
        var i = _instance;
        var incidents = new JsonArray([.. Journal.Where(e => e.Kind == JournalKind.ActivityFaulted && e.ActivityId is not null).Select(e => (JsonNode)new JsonObject
        {
            ["activityId"] = e.ActivityId, ["activityNodeId"] = NodeId(e.ActivityId!), ["activityType"] = e.ActivityType, ["message"] = e.Message,
            ["timestamp"] = Time(e.At), ["exception"] = Exception(e),
        })]);
        var summary = Summary(new WorkflowInstanceSummary(i.Id, i.DefinitionId, i.DefinitionVersion, i.DefinitionName, i.Status, i.Error,
            i.CreatedAt, i.UpdatedAt, i.FinishedAt, i.CorrelationId), incidents.Count);
        summary["workflowState"] = new JsonObject
        {
            ["id"] = i.Id,
            ["definitionId"] = i.DefinitionId,
            ["definitionVersion"] = i.DefinitionVersion,
            ["correlationId"] = i.CorrelationId,
            ["status"] = Status(i.Status),
            ["subStatus"] = SubStatus(i.Status),
            ["bookmarks"] = new JsonArray(),
            ["incidents"] = incidents,
            ["fault"] = i.Status == WorkflowStatus.Faulted ? new JsonObject { ["message"] = i.Error ?? "Faulted", ["exception"] = null } : null,
            ["completionCallbacks"] = new JsonArray(),
            ["activityExecutionContexts"] = new JsonArray(),
            ["input"] = i.Inputs.DeepClone(),
            ["output"] = new JsonObject(),
            ["properties"] = new JsonObject(),
            ["createdAt"] = Time(i.CreatedAt),
            ["updatedAt"] = Time(i.UpdatedAt),
            ["finishedAt"] = Time(i.FinishedAt),
        };
        return summary;
    }

    /// <summary>Journal entries as <c>WorkflowExecutionLogRecord</c>s (instance status lines belong to <c>Elsa.Workflow</c>).</summary>
    public IEnumerable<JsonObject> LogRecords() => Journal.Select(e =>
    {
        var isWorkflow = e.ActivityId is null;
        return new JsonObject
        {
            ["id"] = e.Id.ToString(CultureInfo.InvariantCulture),
            ["activityInstanceId"] = ExecutionIdAt(e),
            ["parentActivityInstanceId"] = null,
            ["activityId"] = e.ActivityId ?? StudioShapes.WorkflowNodeId,
            ["activityType"] = isWorkflow ? "Elsa.Workflow" : e.ActivityType,
            ["activityTypeVersion"] = 1,
            ["activityName"] = isWorkflow ? StudioShapes.WorkflowNodeId : _activityNames.GetValueOrDefault(e.ActivityId!, e.ActivityId!),
            ["nodeId"] = isWorkflow ? StudioShapes.WorkflowNodeId : NodeId(e.ActivityId!),
            ["timestamp"] = Time(e.At),
            ["sequence"] = e.Id,
            ["eventName"] = EventName(e),
            ["message"] = e.Message ?? e.Outcome,
            ["source"] = null,
            ["activityState"] = null,
            ["payload"] = e.Data?.DeepClone(),
        };
    });

    /// <summary>Badge stats per node id (unique per node: Studio builds a dictionary).</summary>
    public JsonArray Stats(IReadOnlyCollection<string> nodeIds) =>
    [
        .. Executions.GroupBy(r => r["activityNodeId"]!.GetValue<string>())
            .Where(g => nodeIds.Count == 0 || nodeIds.Contains(g.Key))
            .Select(g =>
            {
                var completed = g.Count(r => r["status"]!.GetValue<string>() == "Completed");
                return (JsonNode)new JsonObject
                {
                    ["activityId"] = g.First()["activityId"]!.GetValue<string>(), ["activityNodeId"] = g.Key, ["startedCount"] = g.Count(),
                    ["completedCount"] = completed, ["uncompletedCount"] = g.Count() - completed,
                    ["isBlocked"] = g.Any(r => r["hasBookmarks"]!.GetValue<bool>() && r["status"]!.GetValue<string>() == "Running"),
                    ["isFaulted"] = g.Any(r => r["status"]!.GetValue<string>() == "Faulted"), ["metadata"] = new JsonObject(),
                };
            }),
    ];

    /// <summary>The summary form of an execution record (a subset of its properties).</summary>
    public static JsonObject ExecutionSummary(JsonObject record)
    {
        var summary = new JsonObject();
        foreach (var key in new[] { "id", "workflowInstanceId", "activityId", "activityNodeId", "activityType", "activityTypeVersion", "activityName",
                     "startedAt", "hasBookmarks", "metadata", "status", "completedAt" })
            summary[key] = record[key]?.DeepClone();
        return summary;
    }

    public string NodeId(string activityId) => _rootNodeId + ":" + activityId;

    private List<JsonObject> BuildExecutions(IReadOnlyList<JournalEntry> journal)
    {
        var records = new List<JsonObject>();
        var open = new Dictionary<string, JsonObject>();
        foreach (var e in journal.Where(e => e.ActivityId is not null))
        {
            var activityId = e.ActivityId!;
            if (e.Kind == JournalKind.ActivityStarted || !open.TryGetValue(activityId, out var record))
            {
                record = new JsonObject
                {
                    ["id"] = $"{_instance.Id}:{e.Id}",
                    ["workflowInstanceId"] = _instance.Id,
                    ["activityId"] = activityId,
                    ["activityNodeId"] = NodeId(activityId),
                    ["activityType"] = e.ActivityType,
                    ["activityTypeVersion"] = 1,
                    ["activityName"] = _activityNames.GetValueOrDefault(activityId, activityId),
                    ["status"] = "Running",
                    ["startedAt"] = Time(e.At),
                    ["completedAt"] = null,
                    ["hasBookmarks"] = false,
                    ["metadata"] = new JsonObject(),
                    // Never null: a record without state is re-fetched by Studio every second.
                    ["activityState"] = new JsonObject(),
                    ["payload"] = null,
                    ["outputs"] = null,
                    ["properties"] = new JsonObject(),
                    ["exception"] = null,
                    ["aggregateFaultCount"] = 0,
                    ["callStackDepth"] = 1,
                    ["schedulingActivityExecutionId"] = null,
                    ["schedulingActivityId"] = null,
                    ["schedulingWorkflowInstanceId"] = null,
                };
                records.Add(record);
                open[activityId] = record;
            }
            switch (e.Kind)
            {
                case JournalKind.ActivityCompleted:
                    record["status"] = "Completed";
                    record["completedAt"] = Time(e.At);
                    record["hasBookmarks"] = false;
                    record["payload"] = new JsonObject
                    {
                        ["Outcomes"] = new JsonArray([.. (e.Outcome ?? "Done").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                            .Select(o => (JsonNode)JsonValue.Create(o))]),
                    };
                    if (e.Data is { } data)
                        record["outputs"] = data.DeepClone();
                    break;
                case JournalKind.ActivityFaulted:
                    record["status"] = "Faulted";
                    record["completedAt"] = Time(e.At);
                    record["exception"] = Exception(e);
                    record["aggregateFaultCount"] = 1;
                    break;
                case JournalKind.ActivityCancelled:
                    record["status"] = "Canceled";
                    record["completedAt"] = Time(e.At);
                    break;
                case JournalKind.ActivitySuspended:
                    record["hasBookmarks"] = true;
                    break;
                case JournalKind.ActivityResumed:
                    record["hasBookmarks"] = false;
                    break;
                case JournalKind.Progress or JournalKind.Message when e.Data is { } details:
                    record["activityState"] = details.DeepClone();
                    break;
            }
        }
        return records;
    }

    private string? ExecutionIdAt(JournalEntry e) =>
        e.ActivityId is null ? null
            : Executions.LastOrDefault(r => r["activityId"]!.GetValue<string>() == e.ActivityId
                                            && long.Parse(r["id"]!.GetValue<string>().Split(':')[^1], CultureInfo.InvariantCulture) <= e.Id)?["id"]?.GetValue<string>();

    private static string EventName(JournalEntry e) => e.Kind switch
    {
        JournalKind.ActivityStarted => "Started",
        JournalKind.ActivityCompleted => "Completed",
        JournalKind.ActivityFaulted => "Faulted",
        JournalKind.ActivitySuspended => "Suspended",
        JournalKind.ActivityResumed => "Resumed",
        JournalKind.ActivityCancelled => "Cancelled",
        JournalKind.ActivityRecovered => "Recovered",
        JournalKind.Status => e.Message ?? "Status",
        _ => e.Kind.ToString(),
    };

    private static JsonObject Exception(JournalEntry e) => new()
    {
        ["type"] = e.Data?["errorType"]?.ToString() ?? "Exception",
        ["message"] = e.Message,
        ["stackTrace"] = null,
        ["innerException"] = null,
    };

    private static string? Time(DateTimeOffset? t) => t?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
