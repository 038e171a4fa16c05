using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>
/// The figures of a finished lab migration as its journal has them (ResumeTarget's report, WaitConvergence's passes):
/// what the benchmarks print, so every figure can be traced to the instance (<c>show ID</c>).
/// </summary>
internal sealed class ProductJournal
{
    private readonly IReadOnlyList<JournalEntry> _journal;

    private ProductJournal(string instanceId, IReadOnlyList<JournalEntry> journal)
    {
        InstanceId = instanceId;
        _journal = journal;
    }

    public string InstanceId { get; }

    /// <summary>The journal of a migration that finished; throws with its faults (and how to read them) otherwise.</summary>
    public static ProductJournal Finished(string instanceId, WorkflowStatus status, IReadOnlyList<JournalEntry> journal, string vmId)
    {
        var faults = journal.Where(e => e.Kind == JournalKind.ActivityFaulted).Select(e => e.Message).ToList();
        if (status != WorkflowStatus.Finished || faults.Count > 0)
            throw new InvalidOperationException($"Migration of {vmId} (instance {instanceId}) ended {status}: {string.Join(" | ", faults)}");
        return new ProductJournal(instanceId, journal);
    }

    /// <summary>The RAM migration and switchover line (<c>ramMs</c>, <c>reactionMs</c>...).</summary>
    public JsonObject Ram => Report(e => e.Data?["ramMs"] is not null);

    /// <summary>The line of one copied disk (<c>bytesCopied</c>, <c>finalPassBytes</c>, <c>finalPassMs</c>, <c>replicationBytes</c>).</summary>
    public JsonObject Disk(string deviceId) => Report(e => e.Data?["disk"]?.GetValue<string>() == deviceId);

    /// <summary>The closing line (<c>downtimeMs</c>, <c>guestPauseMs</c>); not Preflight's estimate-vs-actual line, which has a <c>downtimeMs</c> pair too.</summary>
    public JsonObject Summary => Report(e => e.Data?.ContainsKey("guestPauseMs") == true);

    public long? DowntimeMs => Summary["downtimeMs"]?.GetValue<long?>();

    public double? GuestPauseMs => Summary["guestPauseMs"]?.GetValue<double?>();

    /// <summary>The time of the last backup pass of a replicated disk before it was followed by a mirror: the last of
    /// WaitConvergence's passes, or BitmapMirror's first when it converged at once.</summary>
    public double? LastPassMs(string deviceId)
    {
        var converged = Converged(deviceId)?["history"]?.AsArray().LastOrDefault();
        return converged?["ms"]?.GetValue<double>()
            ?? _journal.LastOrDefault(e => e.ActivityId == "bitmapMirror" && e.Data?["passMs"] is not null && e.Data["disk"]?.GetValue<string>() == deviceId)?
                .Data!["passMs"]!.GetValue<double>();
    }

    /// <summary>How long the writes the final pass copies had to gather: from the last pass's start (or the look that found
    /// the bitmap empty) to the bitmap's disable at the hand-over; null when the disk had no follow mirror.</summary>
    public double? FinalPassWindowMs(string deviceId) => Converged(deviceId)?["finalPassWindowMs"]?.GetValue<double?>();

    /// <summary>WaitConvergence's line about one disk at convergence.</summary>
    private JsonNode? Converged(string deviceId) =>
        _journal.LastOrDefault(e => e.ActivityId == "waitConvergence" && e.Kind == JournalKind.Message && e.Data?["disks"] is not null)?
            .Data!["disks"]!.AsArray().FirstOrDefault(d => d?["disk"]?.GetValue<string>() == deviceId);

    private JsonObject Report(Func<JournalEntry, bool> match) =>
        _journal.LastOrDefault(e => e.ActivityId == "resumeTarget" && match(e))?.Data
        ?? throw new InvalidOperationException($"The journal of instance {InstanceId} has no such ResumeTarget report: see `show {InstanceId}`.");
}
