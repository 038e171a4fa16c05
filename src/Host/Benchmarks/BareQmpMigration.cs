using System.Diagnostics;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Lab;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>What the bare-QMP migration measured.</summary>
internal sealed record BareQmpResult(double RamMs, double ReactionMs, long? DowntimeMs, double? GuestPauseMs);

/// <summary>
/// The floor the product is measured against: a live migration of a lab VM with only the QMP commands it needs and no
/// workflow runtime, journal or ledger. A full <c>blockdev-mirror</c> of every disk to the target's NBD exports, the RAM
/// migration with <c>pause-before-switchover</c>, and at the event (on QMP's event reader, as the product does): soft
/// cancel of the READY mirrors, <c>blockdev-del</c> of the NBD clients, <c>migrate-continue</c>; then the target's
/// exports go and it resumes. The VM runs on the lab's source with its disks already there; the target's disk files
/// must exist (a replica, or any file of the size: the mirror overwrites it).
/// </summary>
internal sealed class BareQmpMigration(MigrationLab lab, string vmId, long ramBandwidth)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public async Task<BareQmpResult> RunAsync(CancellationToken ct)
    {
        var disks = lab.Lab.Inventory.Vms.Single(v => v.Id == vmId).Disks.Select(d => d.NodeName).OfType<string>().ToList();
        var paths = lab.Lab.Inventory.RuntimePaths(vmId, MigrationLab.Target);
        var nbd = new UnixSocketAddress(paths.NbdSocket);
        var migrationUri = "unix:" + paths.MigrationSocket;
        var source = await lab.SessionAsync(vmId, MigrationLab.Source, ct);
        // The lab's own connection is dropped at once: QEMU serves one QMP client at a time, the session takes over.
        await using (await lab.Lab.StartVmAsync(vmId, MigrationLab.Target, incoming: true, ct)) { }
        var target = await lab.SessionAsync(vmId, MigrationLab.Target, ct);

        await target.Client.NbdServerStartAsync(nbd, ct);
        foreach (var node in disks)
            await target.Client.BlockExportAddNbdAsync(Export(node), node, Export(node), writable: true, ct);
        var readyMark = source.LastSequence;
        foreach (var node in disks)
        {
            await source.Client.BlockdevAddNbdAsync(Client(node), nbd, Export(node), ct);
            await source.Client.BlockdevMirrorAsync(new BlockdevMirrorOptions(Job(node), node, Client(node)), ct);
        }
        foreach (var node in disks)
            await source.WaitForEventAsync<BlockJobReadyEvent>(readyMark, e => e.Device == Job(node), Timeout, $"BLOCK_JOB_READY of {Job(node)}", ct);

        await target.Client.MigrateSetCapabilitiesAsync([MigrationCapability.Events], true, ct);
        await source.Client.MigrateSetCapabilitiesAsync([MigrationCapability.Events, MigrationCapability.PauseBeforeSwitchover], true, ct);
        if (ramBandwidth > 0) await source.Client.MigrateSetParametersAsync(new MigrationParameters { MaxBandwidth = ramBandwidth }, ct);

        // Started from the event on the reader itself, like the product's armed switchover: no hop to an awaiting caller first.
        var switchover = new TaskCompletionSource<Task<double>>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (source.Client.Subscribe(e =>
               {
                   if (e is not MigrationEvent { Status: MigrationStatus.PreSwitchover }) return;
                   var at = Stopwatch.GetTimestamp();
                   switchover.TrySetResult(Task.Run(() => SwitchoverAsync(source, disks, at, ct)));
               }))
        {
            await target.Client.MigrateIncomingAsync(migrationUri, ct);
            var ram = Stopwatch.StartNew();
            await source.Client.MigrateAsync(migrationUri, ct);
            var running = await switchover.Task.WaitAsync(Timeout, ct);
            var ramMs = ram.Elapsed.TotalMilliseconds; // the event arrived (the subscription set the task just before)
            var reactionMs = await running;

            if (await IncomingMigration.WaitLoadedAsync(target, Timeout, ct) != RunState.Paused)
                throw new InvalidOperationException($"The target QEMU of {vmId} did not load the migration paused.");
            foreach (var node in disks)
                await target.Client.BlockExportDelAsync(Export(node), ct);
            await target.Client.NbdServerStopAsync(ct);
            var resumeMark = target.LastSequence;
            await target.Client.ContAsync(ct);
            var resume = await target.WaitForEventAsync<ResumeEvent>(resumeMark, _ => true, Timeout, "RESUME on the target", ct);

            var info = await CompletedMigrationFigures.ReadAsync(source.Client, ct);
            var stop = source.EventsSince(0).OfType<StopEvent>().LastOrDefault();
            return new BareQmpResult(ramMs, reactionMs, info.DowntimeMs, stop is null ? null : (resume.Timestamp - stop.Timestamp).TotalMilliseconds);
        }
    }

    /// <summary>Everything with the vCPUs stopped; returns the ms from the event to the first command on its way.</summary>
    private static async Task<double> SwitchoverAsync(QmpSession source, IReadOnlyList<string> disks, long eventAt, CancellationToken ct)
    {
        var mark = source.LastSequence;
        var cancels = disks.Select(node => source.Client.BlockJobCancelAsync(Job(node), force: false, ct)).ToList();
        var reaction = Stopwatch.GetElapsedTime(eventAt).TotalMilliseconds;
        await Task.WhenAll(cancels);
        foreach (var node in disks)
        {
            var done = await source.WaitForEventAsync<BlockJobEvent>(mark, e => e.Device == Job(node) && e is BlockJobCompletedEvent or BlockJobCancelledEvent,
                Timeout, $"BLOCK_JOB_COMPLETED of {Job(node)}", ct);
            if (done is not BlockJobCompletedEvent { Error: null })
                throw new InvalidOperationException($"The mirror of {node} did not finish cleanly at switchover ({done.Name}).");
        }
        foreach (var node in disks)
            await source.Client.BlockdevDelAsync(Client(node), ct);
        var continued = source.LastSequence;
        await source.Client.MigrateContinueAsync(MigrationStatus.PreSwitchover, ct);
        var end = await source.WaitForEventAsync<MigrationEvent>(continued, e => e.Status is MigrationStatus.Completed or MigrationStatus.Failed,
            Timeout, "MIGRATION completed", ct);
        if (end.Status != MigrationStatus.Completed)
            throw new InvalidOperationException($"The bare-QMP migration {end.Status} after migrate-continue.");
        return reaction;
    }

    private static string Export(string node) => $"bench-{node}";
    private static string Client(string node) => $"bench-nbd-{node}";
    private static string Job(string node) => $"bench-mirror-{node}";
}
