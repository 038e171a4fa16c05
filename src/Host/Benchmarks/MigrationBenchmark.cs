using System.Diagnostics;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Engine.Persistence;
using Spectre.Console;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>
/// <c>bench migration</c>: migrates the same size of disk twice per dirty ratio in one run, once replicated (ZFS
/// incremental + dirty-bitmap copy: what this product does) and once as a plain local disk (full copy: what live
/// migration does without the replica), and prints bytes moved, wall time and downtime for both, and their ratios;
/// then the switchover under writes against the bare-QMP floor (<see cref="SwitchoverBenchmark"/>, and with
/// <paramref name="realGuest"/> one round of the lab guest: <see cref="RealGuestSwitchover"/>). With a
/// <paramref name="databasePath"/> the product's journals are kept there (each row names its instance). A measurement, not a test.
/// </summary>
internal sealed class MigrationBenchmark(long diskBytes, IReadOnlyList<double> dirtyPercents, SwitchoverSettings switchover, RealGuestSettings? realGuest, string? databasePath,
    IAnsiConsole console)
{
    private sealed record Result(string Mode, double DirtyPercent, string InstanceId, long ZfsBytes, long QemuBytes, TimeSpan Wall, long? DowntimeMs, double? GuestPauseMs, ImageComparison Compare)
    {
        public long Moved => ZfsBytes + QemuBytes;
    }

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var workflow = await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), ct);
        // Sparse pool images: room for the largest round and what zfs-fuse has not freed yet of the round before it.
        var poolBytes = (2L << 30) + Math.Max(diskBytes, switchover.DiskBytes * switchover.Concurrent) * 4;
        await using var lab = await MigrationLab.CreateAsync(new MigrationLabOptions { Lab = new LabOptions { PoolSizeBytes = poolBytes }, DatabasePath = databasePath }, ct);
        var results = new List<Result>();
        var round = 0;
        foreach (var percent in dirtyPercents)
        {
            round++;
            results.Add(await MigrateAsync(lab, workflow, $"inc{round}", DiskKind.Replicated, percent, ct));
            results.Add(await MigrateAsync(lab, workflow, $"full{round}", DiskKind.Local, percent, ct));
        }

        var table = new Table().Title($"[bold]{diskBytes >> 20} MiB disk: incremental (ZFS + bitmap) vs full copy[/]")
            .AddColumns("dirty", "mode", "instance", "moved", "ZFS + QEMU", "wall", "downtime", "pause", "equal");
        foreach (var r in results)
            table.AddRow($"{r.DirtyPercent:0.#} %", r.Mode, r.InstanceId, Mib(r.Moved), $"{Mib(r.ZfsBytes)} + {Mib(r.QemuBytes)}", $"{r.Wall.TotalSeconds:0.00} s",
                $"{r.DowntimeMs} ms", $"{r.GuestPauseMs:0} ms", r.Compare.Identical ? "yes" : "[red]NO[/]");
        console.Write(table);
        foreach (var pair in results.Chunk(2))
        {
            var (inc, full) = (pair[0], pair[1]);
            console.MarkupLine($"dirty {inc.DirtyPercent:0.#} %: full/incremental bytes moved = [bold]{(double)full.Moved / Math.Max(1, inc.Moved):0.0}x[/], " +
                $"wall time = [bold]{full.Wall / inc.Wall:0.0}x[/], downtime = {(double)(full.DowntimeMs ?? 0) / Math.Max(1, inc.DowntimeMs ?? 1):0.0}x");
        }

        var rows = (await new SwitchoverBenchmark(lab, switchover, console).RunAsync(ct)).ToList();
        if (realGuest is not null) rows.AddRange(await new RealGuestSwitchover(lab, switchover, realGuest, console).RunAsync(ct));
        SwitchoverTable.Write(console, switchover, realGuest, rows);
        if (databasePath is not null)
            console.MarkupLine($"The product's journals are kept in {Markup.Escape(databasePath)}: ./elsa-migrate show INSTANCE --db {Markup.Escape(databasePath)}");
        return results.All(r => r.Compare.Identical) && rows.All(r => r.Identical != false) ? 0 : 1;
    }

    private async Task<Result> MigrateAsync(MigrationLab lab, string workflow, string vmId, DiskKind kind, double percent, CancellationToken ct)
    {
        var mode = kind == DiskKind.Replicated ? "incremental" : "full copy";
        console.MarkupLine($"[grey]{vmId}: {mode}, {percent:0.#} % dirty: preparing the disk...[/]");
        await lab.CreateVmAsync(vmId, [(kind, diskBytes)], ct);
        await lab.DirtyAsync(vmId, 0, (long)(diskBytes * percent / 100), ct);
        await lab.StartVmAsync(vmId, ct);
        await using var writer = await lab.StartWriterAsync(vmId, [("drive0", diskBytes)], ct);
        var clock = Stopwatch.StartNew();
        // A local disk's source copy is removed after the switchover unless kept: keep it to compare.
        var id = await lab.StartMigrationAsync(workflow, vmId, ct, diskBandwidth: 0, keepSourceLocalDisks: kind != DiskKind.Replicated);
        var status = await lab.Runtime.WaitForEndAsync(id, ct);
        clock.Stop();
        await writer.DisposeAsync();
        var journal = ProductJournal.Finished(id, status, await lab.JournalAsync(id, ct), vmId);
        var disk = journal.Disk("vd0");
        var compare = kind == DiskKind.Replicated
            ? await lab.CompareAsync(vmId, 0, ct)
            : await lab.CompareAsync(lab.KeptSourcePath(vmId, 0, id), lab.Disk(vmId, 0, MigrationLab.Target).Path, ct);
        var result = new Result(mode, percent, id, disk["replicationBytes"]?.GetValue<long?>() ?? 0, disk["bytesCopied"]!.GetValue<long>(), clock.Elapsed,
            journal.DowntimeMs, journal.GuestPauseMs, compare);
        console.MarkupLine($"[grey]{vmId}: moved {Mib(result.Moved)} in {result.Wall.TotalSeconds:0.00} s, downtime {result.DowntimeMs} ms; {Markup.Escape(compare.Output)}[/]");
        // Free the lab for the next round: stop the migrated VM, drop its datasets on both nodes.
        await lab.Lab.StopVmAsync(vmId, MigrationLab.Target, ct);
        foreach (var node in new[] { MigrationLab.Source, MigrationLab.Target })
        {
            var dataset = lab.Lab.Inventory.ResolveDisk(vmId, "drive0", node).Dataset!;
            if (await lab.Lab.Zfs(node).ExistsAsync(dataset, ct)) await lab.Lab.Zfs(node).DestroyAsync(dataset, recursive: true, ct);
        }
        return result;
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:0.0} MiB";
}
