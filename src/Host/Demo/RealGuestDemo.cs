using System.Diagnostics;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Lab.Guest;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Elsa.Migration.Host.Demo;

/// <summary>
/// <c>./elsa-migrate demo</c> with the real guest (the default): boots the lab guest (Linux, ext4 data disk, a writer
/// fsync'ing numbered blocks, qemu-ga) on lab-a, replicates its disk once, then runs
/// <c>workflows/live-migrate-freeze-verify.json</c> (guest-agent freeze around the snapshot, VerifyDisks at the pause)
/// while the guest writes, and shows the freeze window, both downtime figures and the guest's heartbeat on lab-b.
/// </summary>
internal sealed class RealGuestDemo(long diskBandwidth = 0)
{
    private const string VmId = "demo1";
    private const long ReplicatedSize = 128L << 20, LocalSize = 64L << 20;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var workflow = MigrationLab.FindRepositoryFile("workflows/live-migrate-freeze-verify.json");
        var image = GuestImage.LocateInRepository(GuestImage.FindRepositoryRoot(Path.GetDirectoryName(workflow)!));
        var console = AnsiConsole.Console;
        console.Write(new Rule("[bold]Elsa.Migration demo[/]: live migration of a real Linux guest reusing a ZFS replica"));
        MigrationLab? lab = null;
        string? instanceId = null;
        try
        {
            GuestHeartbeat? booted = null;
            var bootWatch = Stopwatch.StartNew();
            await console.Status().StartAsync("Building the two-node lab (zfs-fuse pools, QEMU under TCG)...", async ctx =>
            {
                lab = await MigrationLab.CreateAsync(1L << 30, cancellationToken);
                var vm = lab.Lab.DefineGuestVm(VmId, image, new GuestVmOptions
                {
                    Disks = [(DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize)],
                    BlocksPerSecond = 50,
                    RegionBlocks = 512,
                });
                await lab.Lab.AddVmAsync(vm, cancellationToken);
                await lab.Lab.CreateDisksAsync(VmId, MigrationLab.Source, cancellationToken);
                ctx.Status($"Booting the guest (kernel {image.KernelRelease}) on lab-a: 5-25 s under TCG...");
                bootWatch.Restart();
                await lab.StartVmAsync(VmId, cancellationToken);
                booted = await lab.Lab.WaitForGuestBootAsync(VmId, MigrationLab.Source, TimeSpan.FromSeconds(120), cancellationToken);
                ctx.Status("Replicating the guest's disk to lab-b (the site's earlier replication), letting the guest write...");
                var dataset = lab.Lab.Inventory.ResolveDisk(VmId, "drive0", MigrationLab.Source).Dataset!;
                await lab.Lab.Zfs(MigrationLab.Source).SnapshotAsync(dataset, "repl-0", cancellationToken);
                await new NodePipe().RunAsync(lab.Local, new NodeCommand("zfs", "send", $"{dataset}@repl-0"), lab.Local,
                    new NodeCommand("zfs", "recv", "-F", lab.Lab.Inventory.ResolveDisk(VmId, "drive0", MigrationLab.Target).Dataset!),
                    cancellationToken: cancellationToken);
                await lab.Lab.GuestConsole(VmId, MigrationLab.Source).WaitForNewHeartbeatsAsync(3, TimeSpan.FromSeconds(30), cancellationToken);
            });
            var sourceConsole = lab!.Lab.GuestConsole(VmId, MigrationLab.Source);
            var before = sourceConsole.ReadLatest()!;
            console.MarkupLine($"Guest booted on [bold]lab-a[/] in {bootWatch.Elapsed.TotalSeconds:0.0} s; its writer is at block [bold]{before.Sequence}[/] " +
                $"(uptime {before.UptimeSeconds:0.0} s). Migrating it to [bold]lab-b[/] while it writes...");

            var runtime = lab.Services.GetRequiredService<IWorkflowRuntime>();
            using var events = lab.Services.GetRequiredService<IWorkflowEventStream>().Subscribe();
            var clock = Stopwatch.StartNew();
            instanceId = await lab.StartMigrationAsync(workflow, VmId, cancellationToken, diskBandwidth);
            var status = await MigrationDemo.ShowProgressAsync(console, runtime, events, instanceId, cancellationToken);
            clock.Stop();
            return await SummarizeAsync(console, lab, instanceId, status, clock.Elapsed, sourceConsole, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Interrupted: rolling back and cleaning up...[/]");
            if (lab is not null && instanceId is not null)
            {
                var runtime = lab.Services.GetRequiredService<IWorkflowRuntime>();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await runtime.CancelAsync(instanceId, grace.Token);
                await runtime.WaitForEndAsync(instanceId, grace.Token);
            }
            return 130;
        }
        finally
        {
            if (lab is not null)
            {
                await lab.DisposeAsync();
                console.MarkupLine("[grey]Lab removed (VMs stopped, pools destroyed, files deleted).[/]");
            }
        }
    }

    private static async Task<int> SummarizeAsync(IAnsiConsole console, MigrationLab lab, string instanceId, WorkflowStatus status, TimeSpan total,
        GuestConsole sourceConsole, CancellationToken ct)
    {
        var journal = await lab.JournalAsync(instanceId, ct);
        var faulted = journal.FirstOrDefault(e => e.Kind == JournalKind.ActivityFaulted);
        var verify = journal.LastOrDefault(e => e.ActivityId == "verifyDisks" && e.Data?["identical"] is not null)?.Data;
        var verified = verify?["disks"]?.AsArray().ToDictionary(d => d!["disk"]!.GetValue<string>(), d => d!["differentRegions"]!.GetValue<long>()) ?? [];
        var table = new Table().Title("[bold]Summary[/]").AddColumns("disk", "kind / strategy", "bytes copied", "disk size", "target = source at the pause?");
        foreach (var d in journal.Where(e => e.ActivityId == "resumeTarget" && e.Data?["bytesCopied"] is not null).Select(e => e.Data!))
        {
            var disk = d["disk"]!.GetValue<string>();
            var replication = d["replicationBytes"]?.GetValue<long?>();
            table.AddRow(disk, $"{d["strategy"]}", Bytes(d["bytesCopied"]!.GetValue<long>()) + (replication is { } r ? $" (+ ZFS stream {Bytes(r)})" : ""),
                Bytes(d["diskSize"]!.GetValue<long>()),
                verified.TryGetValue(disk, out var diff) ? diff == 0 ? "[green]identical (VerifyDisks, every byte)[/]" : $"[red]{diff} regions differ[/]" : "?");
        }
        console.Write(table);
        console.MarkupLine($"Workflow: [bold]{status}[/]" + (faulted is null ? "" : $" (failed in {Markup.Escape(faulted.ActivityId ?? "")}: {Markup.Escape(faulted.Message ?? "")})"));
        var thaw = journal.LastOrDefault(e => e.ActivityId == "thawGuest" && e.Data?["freezeWindowMs"] is not null)?.Data;
        if (thaw is not null)
            console.MarkupLine($"Freeze window (guest-agent fsfreeze, around the dirty bitmap and the ZFS snapshot): [bold]{thaw["freezeWindowMs"]!.GetValue<double>():0} ms[/]");
        var resumed = journal.LastOrDefault(e => e.ActivityId == "resumeTarget" && e.Data?["downtimeMs"] is not null)?.Data;
        if (resumed is not null)
            console.MarkupLine($"QEMU downtime: [bold]{resumed["downtimeMs"]} ms[/]; guest pause (source STOP to target RESUME): " +
                $"[bold]{resumed["guestPauseMs"]?.GetValue<double>():0.0} ms[/]" +
                (verify is null ? "" : $", of which VerifyDisks compared {Bytes(verify["bytesCompared"]!.GetValue<long>())} in {verify["downtimeCostMs"]!.GetValue<double>():0} ms"));
        var ok = status == WorkflowStatus.Finished && faulted is null && verify?["identical"]?.GetValue<bool>() == true && resumed is not null;
        if (ok)
        {
            var last = sourceConsole.ReadLatest()!;
            var onTarget = lab.Lab.GuestConsole(VmId, MigrationLab.Target);
            var first = await onTarget.WaitForFirstHeartbeatAsync(TimeSpan.FromSeconds(30), ct);
            var later = await onTarget.WaitForNewHeartbeatsAsync(3, TimeSpan.FromSeconds(30), ct);
            console.MarkupLine($"The guest keeps running on [bold]lab-b[/]: last heartbeat on lab-a block {last.Sequence} (uptime {last.UptimeSeconds:0.0} s), " +
                $"on lab-b block {first.Sequence} (uptime {first.UptimeSeconds:0.0} s), then {later.Sequence}.");
        }
        console.MarkupLine($"Total time: [bold]{total.TotalSeconds:0.00} s[/].");
        console.MarkupLine(ok ? "[green]Every disk was identical at the switchover pause and the guest kept writing on the target.[/]" : "[red]The migration did not complete cleanly (see above).[/]");
        return ok ? 0 : 1;
    }

    private static string Bytes(long b) => b >= 1 << 20 ? $"{b / 1048576.0:0.0} MiB" : $"{b / 1024.0:0.0} KiB";
}
