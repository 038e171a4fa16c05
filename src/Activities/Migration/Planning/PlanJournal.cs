using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>The journal line of a planning step (GetDiskInfo, Preflight): the VM's way, its disks and the endpoints.</summary>
internal static class PlanJournal
{
    public static ValueTask WriteAsync(ActivityExecutionContext context, MigrationPlan plan)
    {
        var disks = new JsonArray(plan.Disks.Select(d => (JsonNode)new JsonObject
        {
            ["device"] = d.DeviceId,
            ["kind"] = d.Kind.ToString(),
            ["attached"] = d.Attached,
            ["sizeBytes"] = d.SizeBytes,
        }).ToArray());
        return context.JournalAsync(
            $"VM {plan.VmId}: {plan.SourceNode} -> {plan.TargetNode}, disks: " +
            string.Join(", ", plan.Disks.Select(d => $"{d.DeviceId} {d.Kind}{(d.Attached ? "" : " (unused)")} {d.SizeBytes} B")) +
            $"; {plan.EndpointsDescription}",
            new JsonObject { ["disks"] = disks, ["migrationUri"] = plan.MigrationUri, ["tcpHost"] = plan.TargetTcpHost });
    }
}
