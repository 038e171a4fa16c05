using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Verification;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>How much of each disk <see cref="VerifyDisks"/> compares.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VerifyMode>))]
public enum VerifyMode
{
    /// <summary>Every byte of every copied disk.</summary>
    Full,
    /// <summary>Every region the last copy pass wrote on the target (and, for replicated disks, everything QEMU copied onto
    /// the replica), plus random regions and the first and last region of each disk.</summary>
    Sampled,
}

/// <summary>
/// Optional, between CompleteMirror and ResumeTarget: the migration has completed, the source is stopped for good and
/// the target has not resumed yet, so neither side writes and their disks must be identical. Compares every copied
/// disk (full, or sampled regions) and reports what it compared and the downtime it cost (the guest stays paused
/// while it reads). Both sides are read on their nodes with <c>dd iflag=direct</c>: the target's QEMU holds its disks
/// open (and its NBD exports are still up), but an O_DIRECT read of the file or zvol neither needs its lock nor sees a
/// stale page cache (a ZFS-received file can serve stale buffered reads). <c>Different</c> lets a site roll back:
/// the source resumes from <c>postmigrate</c> on its own disks.
/// </summary>
[Activity("VmMigration", "VM Migration", "While both sides are paused after the switchover: compares source and target disks (full or sampled); Different when they differ.")]
[FlowNode(Outcomes.Done, Different, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class VerifyDisks : CodeActivity
{
    /// <summary>Outcome when at least one region differs.</summary>
    public const string Different = "Different";

    [Input(Description = "Full: every byte of every copied disk. Sampled: every region the last copy pass wrote (and for replicated disks all QEMU copied), plus random regions and the first and last region of each disk.",
        DefaultValue = VerifyMode.Full)]
    public Input<VerifyMode>? Mode { get; set; }

    [Input(Description = "Sampled: random regions per disk.", DefaultValue = 64, ZeroOrLessMeansDefault = true)]
    public Input<int>? SampleRegions { get; set; }

    [Input(Description = "Sampled: seed of the random regions (0: a new one each run; the journal names the seed used).", DefaultValue = 0)]
    public Input<int>? Seed { get; set; }

    [Input(Description = "Size of one compared region in KiB (a multiple of 4 for O_DIRECT).", DefaultValue = 1024, ZeroOrLessMeansDefault = true)]
    public Input<int>? RegionKiB { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        if (scope.State.Switchover is null || scope.State.VmRunsOnTarget)
            throw new InvalidOperationException("VerifyDisks compares the disks while both sides are paused: put it right after CompleteMirror, before ResumeTarget.");
        var mode = context.Get(Mode);
        var regionKiB = context.Get(RegionKiB);
        if (regionKiB % 4 != 0) throw new ArgumentException($"RegionKiB {regionKiB} must be a multiple of 4 (O_DIRECT reads need aligned sizes).");
        var regionBytes = regionKiB * 1024L;
        var samples = context.Get(SampleRegions);
        var watch = Stopwatch.StartNew();
        await RequirePausedAsync(scope);

        var disks = plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        var (source, target) = (scope.SourceNode, scope.TargetNode);
        var seed = context.Get(Seed) is not 0 and var given ? given : Random.Shared.Next(1, int.MaxValue);
        var selections = new List<RegionSelection>();
        foreach (var d in disks) // one after the other: each records its verify export in the ledger
            selections.Add(mode == VerifyMode.Full ? RegionSelection.Full(d, scope.State.TargetBitmapsOf(d).Count > 0, regionBytes) : await RegionSelection.SampledAsync(scope, d, regionBytes, samples, seed));
        var bitmapsRead = watch.Elapsed;
        var results = await Task.WhenAll(selections.Select(x => DiskComparer.CompareAsync(x.Disk, source, target, regionBytes, x.Runs, scope.Token)));
        var cost = watch.Elapsed;
        scope.State.VerifyDisksMs = cost.TotalMilliseconds;
        scope.SaveState();

        var bytes = results.Sum(x => x.BytesCompared);
        var regions = results.Sum(x => x.RegionsCompared);
        var identical = results.All(x => x.Identical);
        var perDisk = new JsonArray(results.Zip(selections, (x, sel) => (JsonNode)new JsonObject
        {
            ["disk"] = x.DeviceId,
            ["bytesCompared"] = x.BytesCompared,
            ["regionsCompared"] = x.RegionsCompared,
            ["differentRegions"] = x.DifferentRegions,
            ["differentOffsets"] = new JsonArray(x.DifferentOffsets.Select(o => (JsonNode)o).ToArray()),
            ["tracked"] = sel.Tracked,
            ["lastPassBytes"] = sel.LastPassBytes,
            ["lastPassRegions"] = sel.LastPassRegions,
            ["copiedBytes"] = sel.CopiedBytes,
            ["copiedRegions"] = sel.CopiedRegions,
            ["randomRegions"] = sel.RandomRegions,
        }).ToArray());
        var lastPassRegions = selections.Sum(x => x.LastPassRegions);
        var what = $"{results.Length} disks, {bytes} bytes in {regions} regions of {regionKiB} KiB ({mode}" + (mode == VerifyMode.Sampled
            ? $": {lastPassRegions} regions the last copy pass wrote ({selections.Sum(x => x.LastPassBytes)} bytes), " +
              $"{selections.Sum(x => x.CopiedRegions)} QEMU copied onto replicas, {selections.Sum(x => x.RandomRegions)} random (seed {seed}), first and last" +
              (selections.Any(x => !x.Tracked) ? $"; not tracked on the target: {string.Join(", ", selections.Where(x => !x.Tracked).Select(x => x.Disk.DeviceId))}" : "")
            : "") + ")";
        var costText = $"cost {cost.TotalMilliseconds:0} ms of downtime" + (mode == VerifyMode.Sampled ? $" (bitmaps read in {bitmapsRead.TotalMilliseconds:0} ms)" : "");
        await context.JournalAsync(identical
                ? $"VerifyDisks: identical at the pause: {what}; {costText}"
                : $"VerifyDisks: DIFFERENT at the pause: " + string.Join("; ", results.Where(x => !x.Identical).Select(x =>
                    $"{x.DeviceId}: {x.DifferentRegions} regions differ, first at offsets {string.Join(", ", x.DifferentOffsets)}")) +
                  $" ({what}; {costText})",
            new JsonObject
            {
                ["mode"] = mode.ToString(),
                ["identical"] = identical,
                ["bytesCompared"] = bytes,
                ["regionsCompared"] = regions,
                ["regionBytes"] = regionBytes,
                ["downtimeCostMs"] = cost.TotalMilliseconds,
                ["disks"] = perDisk,
                ["seed"] = mode == VerifyMode.Sampled ? seed : null,
                ["lastPassRegions"] = lastPassRegions,
                ["bitmapReadMs"] = mode == VerifyMode.Sampled ? bitmapsRead.TotalMilliseconds : null,
                ["lastPassMarkMs"] = scope.State.Converged?.LastPassMarkMs,
            });
        if (!identical) await context.CompleteAsync(Different);
    }

    /// <summary>Both sides must be paused: the source after the completed migration, the target not yet resumed.</summary>
    private static async Task RequirePausedAsync(MigrationScope scope)
    {
        var source = await scope.SourceAsync();
        var sourceStatus = (await source.Client.QueryStatusAsync(scope.Token)).Status;
        if (sourceStatus == RunState.Running)
            throw new InvalidOperationException("The source QEMU is running: the migration did not complete; its disks keep changing and cannot be verified.");
        var target = await scope.TargetAsync();
        // The source reports completed once it has sent everything; the target may still be loading the state.
        var status = await IncomingMigration.WaitLoadedAsync(target, TimeSpan.FromSeconds(60), scope.Token);
        if (status != RunState.Paused)
            throw new InvalidOperationException($"The target QEMU is '{status}', expected 'paused' (VerifyDisks runs before ResumeTarget).");
    }
}
