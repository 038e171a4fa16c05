using System.Text.Json.Serialization;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>What Preflight is asked: the same inputs as a migration. <see cref="SourceNode"/> null: the node the VM runs
/// on (a dry run may leave it out). <see cref="InstanceId"/>: the migration asking (null for a dry run).</summary>
public sealed record PreflightRequest(string? VmId, string? SourceNode, string? TargetNode, string? Site, string? InstanceId = null, long? DiskBandwidth = null)
{
    /// <summary>The procedure's limit on each disk copy in bytes/s (its <c>DiskBandwidth</c>; null or 0: none), for the estimate.</summary>
    public long? DiskBandwidth { get; init; } = DiskBandwidth;
}

/// <summary>One reason the migration cannot run: which check (e.g. <c>target-space</c>) and what to do.</summary>
public sealed record PreflightRefusal(string Check, string Message);

/// <summary>
/// Preflight's answer (the API's and <c>plan --json</c>'s body, see src/Host/README.md): whether the migration can run,
/// every refusal, what was found on the way, and the estimate. The plan itself is kept for the activity, not shown.
/// </summary>
public sealed record PreflightReport
{
    public string? VmId { get; init; }
    public string? Site { get; init; }
    public string? SourceNode { get; init; }
    public string? TargetNode { get; init; }
    public bool CanRun => Refusals.Count == 0;
    public required IReadOnlyList<PreflightRefusal> Refusals { get; init; }
    /// <summary>What was checked or found and is worth knowing but refuses nothing (e.g. the admission not checked here).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>How BitmapMirror will copy replicated disks on the source's QEMU (Native or BackupPasses).</summary>
    public string? Strategy { get; init; }
    /// <summary>Where NBD and the migration stream go (the plan's endpoints).</summary>
    public string? Endpoints { get; init; }
    public string? SourceQemuVersion { get; init; }
    public string? TargetQemuVersion { get; init; }
    public string? Machine { get; init; }
    public string? Accelerator { get; init; }
    public MigrationEstimate? Estimate { get; init; }
    /// <summary>How long Preflight took.</summary>
    public double ElapsedMs { get; init; }

    /// <summary>The plan (with <see cref="Estimate"/>) when planning got that far; the activity stores it.</summary>
    [JsonIgnore]
    public MigrationPlan? Plan { get; init; }

    /// <summary>Every refusal on one line, for an incident or an exit message.</summary>
    [JsonIgnore]
    public string Reason => string.Join("; ", Refusals.Select(r => $"{r.Check}: {r.Message.TrimEnd().TrimEnd('.')}"));
}
