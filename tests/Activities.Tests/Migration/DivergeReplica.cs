using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// Test-only, between GetDiskInfo and ZfsReplicate: re-creates every snapshot of each target replica under the same
/// name (so new guids), as if someone re-seeded the replica by hand. No snapshot is then really common: an incremental
/// send is impossible and a full one would overwrite the target dataset, so ZfsReplicate must refuse before sending.
/// </summary>
[Activity("Test", "Test", "Makes the target replicas diverge from the source (test only).")]
public sealed class DivergeReplica : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var zfs = new ZfsDriver(scope.TargetNode);
        foreach (var dataset in scope.Plan.Disks.Where(d => d.Kind == MigrationDiskKind.Replicated).Select(d => d.TargetDataset!))
            foreach (var snapshot in await zfs.ListSnapshotsAsync(dataset, context.CancellationToken))
            {
                await zfs.DestroyAsync($"{dataset}@{snapshot.Name}", cancellationToken: context.CancellationToken);
                await zfs.SnapshotAsync(dataset, snapshot.Name, context.CancellationToken);
            }
        await context.JournalAsync("Target replicas re-created under the same snapshot names (diverged)");
    }
}
