using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Engine.Persistence;
using Spectre.Console;

namespace Elsa.Migration.Host.Demo;

/// <summary>
/// <c>./elsa-migrate demo --no-guest</c>: builds the two-node lab, starts a VM with a replicated and a local disk, writes
/// to it the whole time, runs <c>workflows/live-migrate.json</c> with live progress bars, and prints what moved, the
/// downtime and the byte-for-byte comparison. Cleans up on every path, Ctrl-C included (<see cref="LabDemo"/>).
/// </summary>
internal sealed class MigrationDemo(long diskBandwidth = 0)
{
    private const string VmId = "demo1";
    private const long ReplicatedSize = 256L << 20, LocalSize = 64L << 20, ChangedSinceReplication = 16L << 20;

    public Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var workflow = MigrationLab.FindRepositoryFile("workflows/live-migrate.json");
        var console = AnsiConsole.Console;
        console.Write(new Rule("[bold]Elsa.Migration demo[/]: live migration reusing a ZFS replica"));
        return new LabDemo(console, 2L << 30, diskBandwidth).RunAsync(async (lab, ctx, ct) =>
        {
            ctx.Status("Creating VM demo1: a 256 MiB replicated disk (replica on lab-b) and a 64 MiB local disk...");
            await lab.CreateVmAsync(VmId, [(DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize)], ct);
            ctx.Status("Changing 16 MiB since the last replication, starting the VM...");
            await lab.DirtyAsync(VmId, 0, ChangedSinceReplication, ct);
            await lab.StartVmAsync(VmId, ct);
        }, async (lab, migrate, ct) =>
        {
            console.MarkupLine($"Lab ready in [grey]{lab.Lab.Directory}[/]; VM [bold]{VmId}[/] runs on [bold]lab-a[/]. Migrating it to [bold]lab-b[/] while it writes...");
            await using var writer = await lab.StartWriterAsync(VmId, [("drive0", ReplicatedSize), ("drive1", LocalSize)], ct, TimeSpan.FromMilliseconds(20));
            // The shipped procedure removes the source's copy of the local disk after the switchover; the demo keeps it
            // (KeepSourceLocalDisks) to compare the target's copy with it byte for byte afterwards.
            var edited = JsonNode.Parse(await File.ReadAllTextAsync(workflow, ct))!;
            edited["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == "cleanup")!["keepSourceLocalDisks"] =
                new JsonObject { ["typeName"] = "Boolean", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = true } };
            var demoWorkflow = Path.Combine(lab.Lab.Directory, "live-migrate-keep-source-copies.json");
            await File.WriteAllTextAsync(demoWorkflow, edited.ToJsonString(), ct);
            var run = await migrate(demoWorkflow, VmId, ct);
            await writer.DisposeAsync();
            return await SummarizeAsync(console, lab, run, writer, ct);
        }, cancellationToken);
    }

    private static async Task<int> SummarizeAsync(IAnsiConsole console, MigrationLab lab, DemoRun run, GuestLikeWriter writer, CancellationToken ct)
    {
        var table = new Table().Title("[bold]Summary[/]").AddColumns("disk", "kind / strategy", "bytes copied", "disk size", "target = source?");
        var disks = run.Journal.Where(e => e.ActivityId == "resumeTarget" && e.Data?["bytesCopied"] is not null).ToList();
        var identical = true;
        for (var i = 0; i < 2; i++)
        {
            var d = disks.FirstOrDefault(e => e.Data!["disk"]!.GetValue<string>() == $"vd{i}")?.Data;
            var compare = run.Faulted is not null ? new ImageComparison(false, "(not migrated)")
                : i == 0 ? await lab.CompareAsync(VmId, i, ct)
                : await lab.CompareAsync(lab.KeptSourcePath(VmId, i, run.InstanceId), lab.Disk(VmId, i, MigrationLab.Target).Path, ct);
            identical &= compare.Identical;
            table.AddRow($"vd{i}", d is null ? "?" : $"{(i == 0 ? "replicated" : "local")} / {d["strategy"]}",
                d is null ? "?" : LabDemo.Copied(d), LabDemo.Bytes(i == 0 ? ReplicatedSize : LocalSize), Markup.Escape(compare.Output));
        }
        console.Write(table);
        var downtime = run.Journal.LastOrDefault(e => e.Data?["downtimeMs"] is not null)?.Data;
        console.MarkupLine(run.StatusMarkup);
        if (downtime is not null)
            console.MarkupLine(LabDemo.Downtime(downtime));
        console.MarkupLine($"Total time: [bold]{run.Elapsed.TotalSeconds:0.00} s[/]; the guest wrote {writer.Writes} times ({LabDemo.Bytes(writer.BytesWritten)}) during the migration.");
        var ok = run.Status == WorkflowStatus.Finished && run.Faulted is null && identical;
        console.MarkupLine(ok ? "[green]Byte-for-byte comparison: every target disk equals its source at switchover.[/]" : LabDemo.NotClean);
        return ok ? 0 : 1;
    }
}
