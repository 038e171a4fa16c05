using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>
/// The ZFS snapshots a migration takes of its replicated disks (live and offline): <c>elsa-mig-yyyyMMdd-HHmmss-fff</c>,
/// marked with the migration's ownership property. Pruning after a migration touches only these (replication's own are
/// <c>elsa-repl-</c>), so neither removes the other's base.
/// </summary>
internal static class MigrationSnapshots
{
    public const string Prefix = "elsa-mig-";

    /// <summary>The name of a snapshot taken at <paramref name="now"/>.</summary>
    public static string NameAt(DateTimeOffset now) => Prefix + now.UtcDateTime.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);

    /// <summary>What <see cref="TakeAsync"/> did: the snapshot name, the disks it took it of, and whether in one command.</summary>
    public sealed record Taken(string Name, IReadOnlyList<DiskPlan> Disks, bool Atomic);

    /// <summary>
    /// Snapshots every disk of <paramref name="disks"/> that has no snapshot of this migration yet (a re-run takes none
    /// twice): ledger entries first, then all snapshots (all or none), marked as this migration's, then confirmed; the
    /// names go into the state. Null when every disk has its snapshot already.
    /// </summary>
    public static async Task<Taken?> TakeAsync(MigrationScope scope, IReadOnlyList<DiskPlan> disks)
    {
        var state = scope.State;
        var todo = disks.Where(d => state.ReplicationOf(d).Snapshot is null).ToList();
        if (todo.Count == 0) return null;
        var name = NameAt(scope.Context.Time.GetUtcNow());
        var entries = new List<LedgerEntry>();
        foreach (var disk in todo)
            entries.Add(await scope.RecordAsync(LedgerKinds.ZfsSnapshot, scope.Plan.SourceNode, $"{SourceDataset(disk)}@{name}",
                new JsonObject { ["dataset"] = disk.SourceDataset, ["snapshot"] = name, ["targetDataset"] = disk.TargetDataset }));
        bool atomic;
        try
        {
            // Marked as this migration's as they are made: Rollback destroys only a snapshot that carries the mark.
            atomic = await new ZfsDriver(scope.SourceNode).SnapshotAllAsync(todo.Select(SourceDataset).ToList(), name,
                new Dictionary<string, string> { [Ownership.ZfsProperty] = scope.Owner }, scope.Token);
        }
        catch (ZfsException)
        {
            // All or none (SnapshotAllAsync): a snapshot command that failed left none of them. Forget them; Rollback would
            // not destroy a same-named snapshot it never took anyway (no mark), but it need not look.
            foreach (var disk in todo) await scope.ReleaseAsync(LedgerKinds.ZfsSnapshot, $"{disk.SourceDataset}@{name}");
            throw;
        }
        foreach (var entry in entries) await scope.ConfirmAsync(entry, new JsonObject { ["owner"] = scope.Owner });
        foreach (var disk in todo) state.ReplicationOf(disk).Snapshot = name;
        scope.SaveState();
        return new Taken(name, todo, atomic);
    }

    /// <summary>The disk's dataset on the source; a replicated disk without one is an inventory mistake.</summary>
    public static string SourceDataset(DiskPlan disk) => disk.SourceDataset ?? throw new InvalidOperationException(
        $"Replicated disk {disk.DeviceId} has no ZFS dataset in the inventory: give its dataset on both nodes.");
}
