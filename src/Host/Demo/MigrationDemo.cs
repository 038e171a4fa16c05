using System.Diagnostics;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Lab;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Elsa.Migration.Host.Demo;

/// <summary>
/// <c>./elsa-migrate demo</c>: builds the two-node lab, starts a VM with a replicated and a local disk, writes to it the
/// whole time, runs <c>workflows/live-migrate.json</c> with live progress bars, and prints what moved, the downtime and
/// the byte-for-byte comparison. Cleans up on every path, Ctrl-C included.
/// </summary>
internal sealed class MigrationDemo(long diskBandwidth = 0)
{
    private const string VmId = "demo1";
    private const long ReplicatedSize = 256L << 20, LocalSize = 64L << 20, ChangedSinceReplication = 16L << 20;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var workflow = MigrationLab.FindRepositoryFile("workflows/live-migrate.json");
        var console = AnsiConsole.Console;
        console.Write(new Rule("[bold]Elsa.Migration demo[/]: live migration reusing a ZFS replica"));
        MigrationLab? lab = null;
        string? instanceId = null;
        try
        {
            await console.Status().StartAsync("Building the two-node lab (zfs-fuse pools, QEMU under TCG)...", async ctx =>
            {
                lab = await MigrationLab.CreateAsync(2L << 30, cancellationToken);
                ctx.Status("Creating VM demo1: a 256 MiB replicated disk (replica on lab-b) and a 64 MiB local disk...");
                await lab.CreateVmAsync(VmId, [(DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize)], cancellationToken);
                ctx.Status("Changing 16 MiB since the last replication, starting the VM...");
                await lab.DirtyAsync(VmId, 0, ChangedSinceReplication, cancellationToken);
                await lab.StartVmAsync(VmId, cancellationToken);
            });
            console.MarkupLine($"Lab ready in [grey]{lab!.Lab.Directory}[/]; VM [bold]{VmId}[/] runs on [bold]lab-a[/]. Migrating it to [bold]lab-b[/] while it writes...");

            await using var writer = await lab.StartWriterAsync(VmId, [("drive0", ReplicatedSize), ("drive1", LocalSize)], cancellationToken);
            var runtime = lab.Services.GetRequiredService<IWorkflowRuntime>();
            using var events = lab.Services.GetRequiredService<IWorkflowEventStream>().Subscribe();
            var clock = Stopwatch.StartNew();
            instanceId = await lab.StartMigrationAsync(workflow, VmId, cancellationToken, diskBandwidth);
            var status = await ShowProgressAsync(console, runtime, events, instanceId, cancellationToken);
            clock.Stop();
            await writer.DisposeAsync();
            return await SummarizeAsync(console, lab, instanceId, status, clock.Elapsed, writer, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Interrupted: rolling back and cleaning up...[/]");
            if (lab is not null && instanceId is not null)
            {
                var runtime = lab.Services.GetRequiredService<IWorkflowRuntime>();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await runtime.CancelAsync(instanceId, grace.Token);
                var status = await runtime.WaitForEndAsync(instanceId, grace.Token);
                // What the compensation did, so the operator sees the VM is back on the source and what was removed.
                foreach (var line in (await lab.JournalAsync(instanceId, grace.Token)).Where(e => e is { ActivityId: "rollback", Kind: JournalKind.Message }))
                    console.MarkupLine($"[grey]{line.At:HH:mm:ss.fff}[/] rollback: {Markup.Escape(line.Message ?? "")}");
                console.MarkupLine($"Migration {status}.");
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

    internal static async Task<WorkflowStatus> ShowProgressAsync(IAnsiConsole console, IWorkflowRuntime runtime, WorkflowEventSubscription events,
        string instanceId, CancellationToken ct)
    {
        var end = runtime.WaitForEndAsync(instanceId, ct);
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async ctx =>
            {
                var step = ctx.AddTask("step: starting", maxValue: 1);
                var bars = new Dictionary<string, ProgressTask>();
                var reader = events.Reader;
                while (!end.IsCompleted)
                {
                    var next = reader.WaitToReadAsync(ct).AsTask();
                    if (await Task.WhenAny(next, end) == end) break;
                    while (reader.TryRead(out var ev))
                    {
                        if (ev.InstanceId != instanceId) continue;
                        switch (ev)
                        {
                            case JournalAppended { Entry: { Kind: JournalKind.ActivityStarted } e }:
                                step.Description = $"step: {Markup.Escape(e.ActivityType ?? e.ActivityId ?? "")}";
                                break;
                            case JournalAppended { Entry: { Kind: JournalKind.Message } e }:
                                ctx.Refresh();
                                console.MarkupLine($"[grey]{e.At:HH:mm:ss.fff}[/] {Markup.Escape(e.ActivityId ?? "")}: {Markup.Escape(e.Message ?? "")}");
                                break;
                            case ProgressReported p when p.Progress.Total is > 0:
                                if (!bars.TryGetValue(p.Progress.Subject, out var bar))
                                    bars[p.Progress.Subject] = bar = ctx.AddTask(Markup.Escape(p.Progress.Subject), maxValue: p.Progress.Total.Value);
                                bar.MaxValue = Math.Max(p.Progress.Total.Value, p.Progress.Done);
                                bar.Value = p.Progress.Done;
                                break;
                        }
                    }
                }
                step.Description = "step: done";
                step.Value = 1;
                foreach (var bar in bars.Values) bar.Value = bar.MaxValue;
            });
        return await end;
    }

    private static async Task<int> SummarizeAsync(IAnsiConsole console, MigrationLab lab, string instanceId, WorkflowStatus status, TimeSpan total,
        GuestLikeWriter writer, CancellationToken ct)
    {
        var journal = await lab.JournalAsync(instanceId, ct);
        var faulted = journal.FirstOrDefault(e => e.Kind == JournalKind.ActivityFaulted);
        var table = new Table().Title("[bold]Summary[/]").AddColumns("disk", "kind / strategy", "bytes copied", "disk size", "target = source?");
        var disks = journal.Where(e => e.ActivityId == "resumeTarget" && e.Data?["bytesCopied"] is not null).ToList();
        var identical = true;
        for (var i = 0; i < 2; i++)
        {
            var d = disks.FirstOrDefault(e => e.Data!["disk"]!.GetValue<string>() == $"vd{i}")?.Data;
            var compare = faulted is null ? await lab.CompareAsync(VmId, i, ct) : "(not migrated)";
            identical &= compare.Contains("identical", StringComparison.OrdinalIgnoreCase);
            var replication = d?["replicationBytes"]?.GetValue<long?>();
            table.AddRow($"vd{i}", d is null ? "?" : $"{(i == 0 ? "replicated" : "local")} / {d["strategy"]}",
                d is null ? "?" : $"{Bytes(d["bytesCopied"]!.GetValue<long>())}" + (replication is { } r ? $" (+ ZFS stream {Bytes(r)})" : ""),
                Bytes(i == 0 ? ReplicatedSize : LocalSize), Markup.Escape(compare));
        }
        console.Write(table);
        var downtime = journal.LastOrDefault(e => e.Data?["downtimeMs"] is not null)?.Data;
        console.MarkupLine($"Workflow: [bold]{status}[/]" + (faulted is null ? "" : $" (failed in {Markup.Escape(faulted.ActivityId ?? "")}: {Markup.Escape(faulted.Message ?? "")})"));
        if (downtime is not null)
            console.MarkupLine($"QEMU downtime: [bold]{downtime["downtimeMs"]} ms[/]; guest pause (source STOP to target RESUME): [bold]{downtime["guestPauseMs"]?.GetValue<double>():0.0} ms[/]");
        console.MarkupLine($"Total time: [bold]{total.TotalSeconds:0.00} s[/]; the guest wrote {writer.Writes} times ({Bytes(writer.BytesWritten)}) during the migration.");
        var ok = status == WorkflowStatus.Finished && faulted is null && identical;
        console.MarkupLine(ok ? "[green]Byte-for-byte comparison: every target disk equals its source at switchover.[/]" : "[red]The migration did not complete cleanly (see above).[/]");
        return ok ? 0 : 1;
    }

    private static string Bytes(long b) => b >= 1 << 20 ? $"{b / 1048576.0:0.0} MiB" : $"{b / 1024.0:0.0} KiB";
}
