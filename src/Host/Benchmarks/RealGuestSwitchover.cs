using System.Diagnostics;
using Elsa.Migration.Activities.GuestAgent;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Lab;
using Elsa.Migration.Lab.Guest;
using Spectre.Console;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>The real-guest round: the guest's writer (fsync'ed 64 KiB blocks per second) and the RAM migration's limit (bytes/s, 0 = QEMU's default).</summary>
internal sealed record RealGuestSettings(int BlocksPerSecond, long RamBandwidth);

/// <summary>
/// One switchover round with the lab guest (real Linux from its initramfs, ext4 on the replicated disk, its own writer):
/// booted, replicated once, migrated by the shipped procedure; then a fresh guest VM of the same kind by
/// <see cref="BareQmpMigration"/>. The guest keeps writing on the target, so its disk never equals the source's after
/// the switchover: "identical" is what the real-guest tests check once the writer is paused, i.e. the guest's heartbeat
/// continues on the target from where the source left it and, with its filesystem frozen by the guest agent (writer
/// blocked, journal flushed), the target disk holds a clean ext4 (<c>e2fsck -fn</c>).
/// </summary>
internal sealed class RealGuestSwitchover(MigrationLab lab, SwitchoverSettings settings, RealGuestSettings guest, IAnsiConsole console)
{
    private const string Device = "vd0";
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(120), HeartbeatTimeout = TimeSpan.FromSeconds(60);

    public async Task<IReadOnlyList<SwitchoverRow>> RunAsync(CancellationToken ct)
    {
        var image = GuestImage.LocateInRepository(GuestImage.FindRepositoryRoot(Path.GetDirectoryName(MigrationLab.FindRepositoryFile("workflows/live-migrate.json"))!));
        var procedure = await SwitchoverBenchmark.ProcedureAsync(guest.RamBandwidth, ct);

        console.MarkupLine($"[grey]real-guest round: guest1 (kernel {Markup.Escape(image.KernelRelease)}, writer {guest.BlocksPerSecond} x 64 KiB/s): the product's migration...[/]");
        var product = await MigrateAsync("guest1", image, vm => ProductAsync(procedure, vm, ct), ct);
        console.MarkupLine("[grey]real-guest round: bareguest1, the bare-QMP migration...[/]");
        var baseline = await MigrateAsync("bareguest1", image, BaselineAsync(ct), ct);
        return [product, baseline, SwitchoverRow.Minus(product, baseline)];
    }

    /// <summary>Boots a guest VM, migrates it with <paramref name="migrate"/> (which returns the row without its check), checks the guest on the target, frees the lab.</summary>
    private async Task<SwitchoverRow> MigrateAsync(string vm, GuestImage image, Func<string, Task<SwitchoverRow>> migrate, CancellationToken ct)
    {
        await lab.Lab.AddVmAsync(lab.Lab.DefineGuestVm(vm, image, new GuestVmOptions
        {
            Disks = [(DiskKind.Replicated, settings.DiskBytes)],
            BlocksPerSecond = guest.BlocksPerSecond,
        }), ct);
        await lab.Lab.CreateDisksAsync(vm, MigrationLab.Source, ct);
        await lab.StartVmAsync(vm, ct);
        await lab.Lab.WaitForGuestBootAsync(vm, MigrationLab.Source, BootTimeout, ct);
        // The site's earlier replication, then writes since it (what the migration's incremental part carries).
        await lab.ReplicateAsync(vm, 0, ct);
        var source = lab.Lab.GuestConsole(vm, MigrationLab.Source);
        var before = await source.WaitForNewHeartbeatsAsync(3, HeartbeatTimeout, ct);

        var clock = Stopwatch.StartNew();
        var row = await migrate(vm);
        clock.Stop();
        var last = source.ReadLatest()!;
        var rate = (last.Sequence - before.Sequence) * (double)GuestKernelArgs.BlockSize / clock.Elapsed.TotalSeconds;
        var (ok, detail) = await CheckOnTargetAsync(vm, last, ct);
        console.MarkupLine($"[grey]{vm}: {row.Run}: downtime {row.DowntimeMs} ms; writer at block {before.Sequence} before, {last.Sequence} last on the source; {Markup.Escape(detail)}[/]");
        await SwitchoverBenchmark.FreeAsync(lab, vm, ct);
        return row with
        {
            WriteRate = rate, OnePassWrites = row.OnePassWrites is { } passMs ? rate * passMs / 1000 : null,
            WindowWrites = row.WindowWrites is { } windowMs ? rate * windowMs / 1000 : null, Identical = ok,
        };
    }

    /// <summary>The product's row; <see cref="SwitchoverRow.OnePassWrites"/> and <see cref="SwitchoverRow.WindowWrites"/> carry
    /// the last pass's and the final pass window's ms until the rate is known.</summary>
    private async Task<SwitchoverRow> ProductAsync(string procedure, string vm, CancellationToken ct)
    {
        var id = await lab.StartMigrationAsync(procedure, vm, ct);
        var status = await lab.Runtime.WaitForEndAsync(id, ct);
        var journal = ProductJournal.Finished(id, status, await lab.JournalAsync(id, ct), vm);
        var (ram, disk) = (journal.Ram, journal.Disk(Device));
        return new SwitchoverRow(SwitchoverRow.Product, vm, id, 0, ram["ramMs"]!.GetValue<double>(), disk["finalPassBytes"]?.GetValue<long?>(),
            disk["finalPassMs"]?.GetValue<double?>(), journal.LastPassMs(Device), ram["reactionMs"]?.GetValue<double?>(),
            journal.DowntimeMs, journal.GuestPauseMs, null, journal.FinalPassWindowMs(Device));
    }

    private Func<string, Task<SwitchoverRow>> BaselineAsync(CancellationToken ct) => async vm =>
    {
        var result = await new BareQmpMigration(lab, vm, guest.RamBandwidth).RunAsync(ct);
        return new SwitchoverRow(SwitchoverRow.Baseline, vm, null, 0, result.RamMs, null, null, null, result.ReactionMs,
            result.DowntimeMs, result.GuestPauseMs, null);
    };

    /// <summary>
    /// The guest lives on on the target (first heartbeat there at or after the source's last block, then new blocks) and,
    /// frozen by its agent, its disk holds a clean ext4; thawed again before the VM is freed.
    /// </summary>
    private async Task<(bool Ok, string Detail)> CheckOnTargetAsync(string vm, GuestHeartbeat lastOnSource, CancellationToken ct)
    {
        var target = lab.Lab.GuestConsole(vm, MigrationLab.Target);
        var first = await target.WaitForFirstHeartbeatAsync(HeartbeatTimeout, ct);
        var later = await target.WaitForSequenceAboveAsync(first.Sequence + 3, HeartbeatTimeout, ct);
        if (first.Sequence < lastOnSource.Sequence)
            return (false, $"the guest's block sequence went back from {lastOnSource.Sequence} on the source to {first.Sequence} on the target");
        await using var agent = GuestAgentClient.ForUnixSocket(lab.Lab.GuestAgentSocket(vm, MigrationLab.Target));
        await agent.SyncAsync(ct);
        await agent.FreezeAsync(cancellationToken: ct);
        try
        {
            var fsck = await FsckAsync(lab.Disk(vm, 0, MigrationLab.Target).Path, ct);
            return (fsck.Succeeded, $"on the target from block {first.Sequence}, then {later.Sequence}; e2fsck -fn of the frozen target disk: " +
                (fsck.Succeeded ? "clean" : $"exit {fsck.ExitCode}: {(fsck.StandardOutput + fsck.StandardError).Trim()}"));
        }
        finally
        {
            await agent.ThawAsync(cancellationToken: CancellationToken.None);
        }
    }

    /// <summary><c>e2fsck -fn</c> of a copy read with O_DIRECT (never a page-cache copy left by a zfs recv).</summary>
    private async Task<NodeCommandResult> FsckAsync(string disk, CancellationToken ct)
    {
        var copy = Path.Combine(Path.GetTempPath(), $"elsa-bench-fsck-{Guid.NewGuid():N}.raw");
        try
        {
            await lab.Local.RunAsync(new NodeCommand("dd", $"if={disk}", $"of={copy}", "iflag=direct", "bs=1M", "status=none"), ct);
            return await lab.Local.TryRunAsync(new NodeCommand("e2fsck", "-fn", copy), ct);
        }
        finally
        {
            File.Delete(copy);
        }
    }
}
