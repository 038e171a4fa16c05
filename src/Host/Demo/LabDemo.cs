using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Lab;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Spectre.Console;

namespace Elsa.Migration.Host.Demo;

/// <summary>A finished demo migration: the instance, how it ended, its wall time and its journal.</summary>
internal sealed record DemoRun(string InstanceId, WorkflowStatus Status, TimeSpan Elapsed, IReadOnlyList<JournalEntry> Journal)
{
    public JournalEntry? Faulted { get; } = Journal.FirstOrDefault(e => e.Kind == JournalKind.ActivityFaulted);

    /// <summary>"Workflow: Finished", with where it failed when an activity faulted.</summary>
    public string StatusMarkup => $"Workflow: [bold]{Status}[/]" +
        (Faulted is null ? "" : $" (failed in {Markup.Escape(Faulted.ActivityId ?? "")}: {Markup.Escape(Faulted.Message ?? "")})");
}

/// <summary>
/// The frame both demos share: the lab built under a spinner, the migration with live progress, and on every path
/// (Ctrl-C included: cancel, wait for the rollback, show what it did) the lab removed. A demo supplies only its VM,
/// what it prints before the migration, and its summary.
/// </summary>
internal sealed class LabDemo(IAnsiConsole console, long poolSizeBytes, long diskBandwidth)
{
    public const string NotClean = "[red]The migration did not complete cleanly (see above).[/]";

    /// <summary>Runs the workflow file for <paramref name="vmId"/> with progress bars; what <see cref="RunAsync"/> hands the demo.</summary>
    public delegate Task<DemoRun> Migrate(string workflowFile, string vmId, CancellationToken cancellationToken);

    /// <summary>Builds the lab and runs <paramref name="prepareAsync"/> under the spinner, then <paramref name="runAsync"/>; 130 when interrupted.</summary>
    public async Task<int> RunAsync(Func<MigrationLab, StatusContext, CancellationToken, Task> prepareAsync,
        Func<MigrationLab, Migrate, CancellationToken, Task<int>> runAsync, CancellationToken cancellationToken)
    {
        MigrationLab? lab = null;
        string? instanceId = null;
        try
        {
            await console.Status().StartAsync("Building the two-node lab (zfs-fuse pools, QEMU under TCG)...", async ctx =>
            {
                lab = await MigrationLab.CreateAsync(poolSizeBytes, cancellationToken);
                await prepareAsync(lab, ctx, cancellationToken);
            });
            return await runAsync(lab!, async (workflowFile, vmId, ct) =>
            {
                var json = await File.ReadAllTextAsync(workflowFile, ct);
                using var events = lab!.Services.GetRequiredService<IWorkflowEventStream>().Subscribe();
                var clock = Stopwatch.StartNew();
                instanceId = await lab.StartMigrationAsync(json, vmId, ct, diskBandwidth);
                var status = await DemoProgress.ShowAsync(console, lab.Runtime, events, instanceId, ct);
                clock.Stop();
                return new DemoRun(instanceId, status, clock.Elapsed, await lab.JournalAsync(instanceId, ct));
            }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Interrupted: rolling back and cleaning up...[/]");
            if (lab is not null && instanceId is not null) await RollBackAsync(lab, instanceId);
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

    private async Task RollBackAsync(MigrationLab lab, string instanceId)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await lab.Runtime.CancelAsync(instanceId, grace.Token);
        var status = await lab.Runtime.WaitForEndAsync(instanceId, grace.Token);
        // What the compensation did, so the operator sees the VM is back on the source and what was removed.
        foreach (var line in (await lab.JournalAsync(instanceId, grace.Token)).Where(e => e is { ActivityId: "rollback", Kind: JournalKind.Message }))
            console.MarkupLine($"[grey]{line.At:HH:mm:ss.fff}[/] rollback: {Markup.Escape(line.Message ?? "")}");
        var outcome = Activities.Migration.MigrationOutcome.Decide(status, null, await lab.JournalAsync(instanceId, grace.Token), await lab.LedgerAsync(instanceId, grace.Token));
        console.MarkupLine(outcome is null ? $"Migration {status}." : $"Migration {outcome.Name}: {Markup.Escape(outcome.Reason ?? "")} (instance {status}).");
    }

    /// <summary>A disk's bytes copied by QEMU, plus the ZFS stream when the disk was replicated.</summary>
    public static string Copied(JsonNode disk) =>
        Bytes(disk["bytesCopied"]!.GetValue<long>()) + (disk["replicationBytes"]?.GetValue<long?>() is { } r ? $" (+ ZFS stream {Bytes(r)})" : "");

    /// <summary>"QEMU downtime: ...; guest pause ...", from an entry carrying <c>downtimeMs</c> and <c>guestPauseMs</c>.</summary>
    public static string Downtime(JsonNode summary) =>
        $"QEMU downtime: [bold]{summary["downtimeMs"]} ms[/]; guest pause (source STOP to target RESUME): [bold]{summary["guestPauseMs"]?.GetValue<double>():0.0} ms[/]";

    public static string Bytes(long b) => b >= 1 << 20 ? $"{b / 1048576.0:0.0} MiB" : $"{b / 1024.0:0.0} KiB";
}
