using System.Diagnostics;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// Everything that can be known about a migration without changing anything on any node (README.md, "Preflight"):
/// the inputs and the site, both nodes reachable with the programs the migration runs there, the plan (the one
/// planner, <see cref="IMigrationSite"/>), the VM running on the source only, QEMU compatibility, per disk the common
/// snapshot, a free target name and the space, the copy strategy, the admission, and the estimate. Every problem is a
/// refusal with what to do; the checks that need a reachable node and a plan stop at the first that has neither.
/// The Preflight activity and the dry run (<c>plan</c>, <c>POST /api/migrations/plan</c>) both run this.
/// </summary>
public sealed class MigrationPreflight(
    ISiteCatalog catalog,
    IMigrationSite planner,
    QmpSessionPool pool,
    TimeProvider time,
    IMigrationAdmissionQuery? admission = null,
    ILinkRates? linkRates = null,
    ILoggerFactory? loggers = null)
{
    private readonly ILogger _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<MigrationPreflight>();

    /// <summary>Runs every check of <paramref name="request"/>. <paramref name="keepSourceSession"/>: leave the source's QMP session in
    /// the pool for the steps that follow (the activity); a dry run drops it (QEMU serves one QMP client at a time).</summary>
    public async Task<PreflightReport> RunAsync(PreflightRequest request, bool keepSourceSession, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var findings = new PreflightFindings();
        var run = new Run(request, findings);
        try
        {
            await CheckAsync(run, ct);
        }
        finally
        {
            if (run.Plan is { } plan && (!keepSourceSession || findings.Refused))
                await pool.DropAsync(plan.SourceNodeDefinition.CreateExecutor(_logger), plan.SourceQmpSocket);
        }
        var estimate = findings.Refused ? null : run.Estimate;
        return new PreflightReport
        {
            VmId = request.VmId,
            Site = run.Site ?? request.Site,
            SourceNode = run.Source ?? request.SourceNode,
            TargetNode = request.TargetNode,
            Refusals = findings.Refusals,
            Notes = findings.Notes,
            Strategy = run.Strategy,
            Endpoints = run.Plan?.EndpointsDescription,
            SourceQemuVersion = run.Qemu?.SourceVersion,
            TargetQemuVersion = run.Qemu?.TargetVersion,
            Machine = run.Qemu?.Machine,
            Accelerator = run.Qemu?.Accelerator,
            Estimate = run.Estimate,
            ElapsedMs = clock.Elapsed.TotalMilliseconds,
            Plan = !findings.Refused && run.Plan is { } planned ? planned with { Estimate = estimate, StartedAt = time.GetUtcNow() } : null,
        };
    }

    /// <summary>What one run found so far.</summary>
    private sealed class Run(PreflightRequest request, PreflightFindings findings)
    {
        public PreflightRequest Request { get; } = request;
        public PreflightFindings Findings { get; } = findings;
        public string? Site { get; set; }
        public string? Source { get; set; }
        public MigrationPlan? Plan { get; set; }
        public string? Strategy { get; set; }
        public QemuFacts? Qemu { get; set; }
        public MigrationEstimate? Estimate { get; set; }
    }

    private async Task CheckAsync(Run run, CancellationToken ct)
    {
        var (request, findings) = (run.Request, run.Findings);
        if (!Inputs(request, findings)) return;
        var loaded = await findings.CheckAsync("site", () => SiteSelection.LoadAsync(catalog, request.Site, ct), ct);
        if (loaded.Inventory is not { } inventory) return;
        run.Site = loaded.Name;
        var vmId = request.VmId!;
        var target = request.TargetNode!;
        if (!await findings.CheckAsync("inventory", () => Task.FromResult(inventory.GetVm(vmId) is not null && inventory.GetNode(target) is not null), ct))
            return;
        run.Source = request.SourceNode ?? await findings.CheckAsync("source", () => SourceLocator.FindAsync(inventory, vmId, target, ct), ct);
        if (run.Source is not { } source) return;
        if (!await findings.CheckAsync("inventory", () => Task.FromResult(inventory.GetNode(source) is not null), ct)) return;
        if (source == target)
        {
            findings.Refuse("input", $"The VM would move from {source} to {target}: choose a target other than the node it runs on.");
            return;
        }

        // Both nodes answer and have what the migration runs there; nothing else can be asked of a node that does not.
        await Task.WhenAll(
            findings.CheckAsync("reach", () => ToolsAsync(inventory, vmId, source, isTarget: false, findings, ct), ct),
            findings.CheckAsync("reach", () => ToolsAsync(inventory, vmId, target, isTarget: true, findings, ct), ct));
        if (findings.Refused) return;
        run.Plan = await findings.CheckAsync("plan", () => planner.CreatePlanAsync(inventory, run.Site, vmId, source, target, ct), ct);
        if (run.Plan is not { } plan) return;

        var sourceNode = plan.SourceNodeDefinition.CreateExecutor(_logger);
        var targetNode = plan.TargetNodeDefinition.CreateExecutor(_logger);
        var qmp = await findings.CheckAsync("source-vm", async () =>
        {
            await VmPlacement.RequireSourceProcessAsync(plan, sourceNode, ct);
            var session = await pool.GetAsync(sourceNode, plan.SourceQmpSocket, ct);
            await VmPlacement.RequireSourceQemuAsync(plan, session.Client, ct);
            return session;
        }, ct);
        if (qmp is null) return;

        // The guest is sampled for a second; the other checks run meanwhile (their QMP commands queue on the session).
        var activity = MeasureAsync(qmp.Client, findings, ct);
        var checks = Task.WhenAll(
            findings.CheckAsync("target-vm", () => VmPlacement.RequireNotOnTargetAsync(plan, ct), ct),
            findings.CheckAsync("qemu", async () => run.Qemu = await QemuCompatibility.CheckAsync(plan, qmp.Client, targetNode, findings, ct), ct),
            findings.CheckAsync("strategy", async () => run.Strategy = await StrategyAsync(plan, qmp.Client, ct), ct),
            findings.CheckAsync("endpoints", () => EndpointCheck.ResolvableAsync(plan, sourceNode, ct), ct),
            findings.CheckAsync("admission", () => AdmissionAsync(plan, request.InstanceId, findings, ct), ct));
        var measured = await activity;
        await checks;
        var rates = measured?.WriteBytesPerSecond ?? new Dictionary<string, double>();
        var disks = await Task.WhenAll(plan.Disks.Select(d => findings.CheckAsync("disk",
            () => DiskChecks.CheckAsync(plan, d, sourceNode, targetNode, run.Strategy, rates.GetValueOrDefault(d.DriveId), findings, ct), ct)));
        await findings.CheckAsync("target-space", () => PoolSpaceAsync(plan, disks.OfType<DiskEstimate>().ToList(), targetNode, findings, ct), ct);
        if (findings.Refused || measured is null) return;

        var link = await findings.CheckAsync("link-rate", () => linkRates?.GetAsync(plan.SourceNode, plan.TargetNode, ct)
            ?? Task.FromResult(LinkRate.Configured(LinkRate.DefaultBytesPerSecond)), ct);
        if (linkRates is null) findings.Note($"No link-rate store in this process: the default {LinkRate.DefaultBytesPerSecond:0} bytes/s is assumed.");
        run.Estimate = MigrationEstimator.Estimate([.. disks.OfType<DiskEstimate>()], measured.RamBytes, measured.RamDirtyBytesPerSecond,
            measured.SampleSeconds, link ?? LinkRate.Configured(LinkRate.DefaultBytesPerSecond), request.DiskBandwidth);
        if (run.Estimate.RamSeconds is null)
            findings.Note($"The guest dirties RAM at {measured.RamDirtyBytesPerSecond} bytes/s, as fast as the link carries ({run.Estimate.LinkBytesPerSecond:0} bytes/s): " +
                "the RAM migration may not converge (limit the guest or raise the bandwidth).");
    }

    /// <summary>The guest's activity for the estimate; a QEMU that cannot measure it refuses nothing (a note, and no estimate).</summary>
    private async Task<GuestActivity?> MeasureAsync(QmpClient qmp, PreflightFindings findings, CancellationToken ct)
    {
        try
        {
            return await GuestActivityProbe.MeasureAsync(qmp, time, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            findings.Note($"The guest's RAM and disk activity could not be measured ({ex.Message}): no estimate.");
            return null;
        }
    }

    private static bool Inputs(PreflightRequest request, PreflightFindings findings)
    {
        if (!NameRules.IsVmId(request.VmId ?? ""))
            findings.Refuse("input", $"'{request.VmId}' is not a VM id: give the id of a VM of the site (letters, digits, '-', '_').");
        if (!NameRules.IsNodeName(request.TargetNode ?? ""))
            findings.Refuse("input", $"'{request.TargetNode}' is not a node name: give the node the VM moves to.");
        if (request.SourceNode is { } source && !NameRules.IsNodeName(source))
            findings.Refuse("input", $"'{source}' is not a node name: give the node the VM runs on (or leave it out to find it).");
        return !findings.Refused;
    }

    private static async Task ToolsAsync(SiteInventory inventory, string vmId, string nodeName, bool isTarget, PreflightFindings findings, CancellationToken ct)
    {
        var node = inventory.CreateExecutor(nodeName);
        var missing = await NodeTools.MissingAsync(node, NodeTools.Required(inventory, vmId, nodeName, isTarget), ct);
        if (missing.Count > 0)
            findings.Refuse("tools", $"Node {nodeName} ({node.Transport.Describe()}) lacks {string.Join(", ", missing)} in its PATH: the migration runs " +
                $"{(missing.Count == 1 ? "it" : "them")} there. Install {(missing.Count == 1 ? "it" : "them")} (Debian: socat, zfsutils-linux or zfs-fuse, qemu-system-x86, qemu-utils, iproute2, coreutils).");
    }

    private static async Task<string?> StrategyAsync(MigrationPlan plan, QmpClient qmp, CancellationToken ct)
    {
        if (!plan.AttachedDisks.Any(d => d.Kind == MigrationDiskKind.Replicated)) return null;
        return StrategyChoice.Choose(BitmapStrategy.Auto, await qmp.QueryCapabilitiesAsync(ct)).ToString();
    }

    private async Task AdmissionAsync(MigrationPlan plan, string? instanceId, PreflightFindings findings, CancellationToken ct)
    {
        if (admission is null)
        {
            findings.Note("The admission (VM lock, node limit) is not checked in this process: the host checks it at start.");
            return;
        }
        if (await admission.RefusalAsync(plan.VmId, plan.SourceNode, plan.TargetNode, instanceId, ct) is { } refusal)
            findings.Refuse("admission", refusal);
    }

    /// <summary>Disks of one pool share its free space: their needs together must fit too.</summary>
    private static async Task PoolSpaceAsync(MigrationPlan plan, IReadOnlyList<DiskEstimate> disks, NodeExecutor target, PreflightFindings findings, CancellationToken ct)
    {
        foreach (var pool in disks.Where(d => d.TargetSpaceAt is { } at && !at.StartsWith('/')).GroupBy(d => d.TargetSpaceAt!.Split('/')[0]).Where(g => g.Count() > 1))
        {
            var need = pool.Sum(d => d.TargetNeedBytes);
            var available = await TargetSpace.PoolAvailableAsync(target, pool.Key, ct);
            if (available < need)
                findings.Refuse("target-space", $"Pool {pool.Key} on {plan.TargetNode} has {available} bytes free but disks {string.Join(", ", pool.Select(d => d.DeviceId))} " +
                    $"need {need} together (with headroom). Free space there or choose another target.");
        }
    }
}
