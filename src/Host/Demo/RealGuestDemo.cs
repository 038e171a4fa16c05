using System.Diagnostics;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Lab.Guest;
using Elsa.Migration.Engine.Persistence;
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

    public Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var workflow = MigrationLab.FindRepositoryFile("workflows/live-migrate-freeze-verify.json");
        var image = GuestImage.LocateInRepository(GuestImage.FindRepositoryRoot(Path.GetDirectoryName(workflow)!));
        var console = AnsiConsole.Console;
        console.Write(new Rule("[bold]Elsa.Migration demo[/]: live migration of a real Linux guest reusing a ZFS replica"));
        var bootWatch = Stopwatch.StartNew();
        return new LabDemo(console, 1L << 30, diskBandwidth).RunAsync(async (lab, ctx, ct) =>
        {
            var vm = lab.Lab.DefineGuestVm(VmId, image, new GuestVmOptions
            {
                Disks = [(DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize)],
                BlocksPerSecond = 50,
                RegionBlocks = 512,
            });
            await lab.Lab.AddVmAsync(vm, ct);
            await lab.Lab.CreateDisksAsync(VmId, MigrationLab.Source, ct);
            ctx.Status($"Booting the guest (kernel {image.KernelRelease}) on lab-a: 5-25 s under TCG...");
            bootWatch.Restart();
            await lab.StartVmAsync(VmId, ct);
            await lab.Lab.WaitForGuestBootAsync(VmId, MigrationLab.Source, TimeSpan.FromSeconds(120), ct);
            ctx.Status("Replicating the guest's disk to lab-b (the site's earlier replication), letting the guest write...");
            await lab.ReplicateAsync(VmId, 0, ct);
            await lab.Lab.GuestConsole(VmId, MigrationLab.Source).WaitForNewHeartbeatsAsync(3, TimeSpan.FromSeconds(30), ct);
        }, async (lab, migrate, ct) =>
        {
            var sourceConsole = lab.Lab.GuestConsole(VmId, MigrationLab.Source);
            var before = sourceConsole.ReadLatest()!;
            console.MarkupLine($"Guest booted on [bold]lab-a[/] in {bootWatch.Elapsed.TotalSeconds:0.0} s; its writer is at block [bold]{before.Sequence}[/] " +
                $"(uptime {before.UptimeSeconds:0.0} s). Migrating it to [bold]lab-b[/] while it writes...");
            var run = await migrate(workflow, VmId, ct);
            return await SummarizeAsync(console, lab, run, sourceConsole, ct);
        }, cancellationToken);
    }

    private static async Task<int> SummarizeAsync(IAnsiConsole console, MigrationLab lab, DemoRun run, GuestConsole sourceConsole, CancellationToken ct)
    {
        var journal = run.Journal;
        var verify = journal.LastOrDefault(e => e.ActivityId == "verifyDisks" && e.Data?["identical"] is not null)?.Data;
        var verified = verify?["disks"]?.AsArray().ToDictionary(d => d!["disk"]!.GetValue<string>(), d => d!["differentRegions"]!.GetValue<long>()) ?? [];
        var table = new Table().Title("[bold]Summary[/]").AddColumns("disk", "kind / strategy", "bytes copied", "disk size", "target = source at the pause?");
        foreach (var d in journal.Where(e => e.ActivityId == "resumeTarget" && e.Data?["bytesCopied"] is not null).Select(e => e.Data!))
        {
            var disk = d["disk"]!.GetValue<string>();
            table.AddRow(disk, $"{d["strategy"]}", LabDemo.Copied(d), LabDemo.Bytes(d["diskSize"]!.GetValue<long>()),
                verified.TryGetValue(disk, out var diff) ? diff == 0 ? "[green]identical (VerifyDisks, every byte)[/]" : $"[red]{diff} regions differ[/]" : "?");
        }
        console.Write(table);
        console.MarkupLine(run.StatusMarkup);
        var thaw = journal.LastOrDefault(e => e.ActivityId == "thawGuest" && e.Data?["freezeWindowMs"] is not null)?.Data;
        if (thaw is not null)
            console.MarkupLine($"Freeze window (guest-agent fsfreeze, around the dirty bitmap and the ZFS snapshot): [bold]{thaw["freezeWindowMs"]!.GetValue<double>():0} ms[/]");
        var resumed = journal.LastOrDefault(e => e.ActivityId == "resumeTarget" && e.Data?["downtimeMs"] is not null)?.Data;
        if (resumed is not null)
            console.MarkupLine(LabDemo.Downtime(resumed) +
                (verify is null ? "" : $", of which VerifyDisks compared {LabDemo.Bytes(verify["bytesCompared"]!.GetValue<long>())} in {verify["downtimeCostMs"]!.GetValue<double>():0} ms"));
        var ok = run.Status == WorkflowStatus.Finished && run.Faulted is null && verify?["identical"]?.GetValue<bool>() == true && resumed is not null;
        if (ok)
        {
            var last = sourceConsole.ReadLatest()!;
            var onTarget = lab.Lab.GuestConsole(VmId, MigrationLab.Target);
            var first = await onTarget.WaitForFirstHeartbeatAsync(TimeSpan.FromSeconds(30), ct);
            var later = await onTarget.WaitForNewHeartbeatsAsync(3, TimeSpan.FromSeconds(30), ct);
            console.MarkupLine($"The guest keeps running on [bold]lab-b[/]: last heartbeat on lab-a block {last.Sequence} (uptime {last.UptimeSeconds:0.0} s), " +
                $"on lab-b block {first.Sequence} (uptime {first.UptimeSeconds:0.0} s), then {later.Sequence}.");
        }
        console.MarkupLine($"Total time: [bold]{run.Elapsed.TotalSeconds:0.00} s[/].");
        console.MarkupLine(ok ? "[green]Every disk was identical at the switchover pause and the guest kept writing on the target.[/]" : LabDemo.NotClean);
        return ok ? 0 : 1;
    }
}
