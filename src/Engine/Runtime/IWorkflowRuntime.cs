using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// Runs workflow instances durably: every state change is committed to the database before the next activity runs,
/// so an instance survives a restart (see <see cref="RecoverAsync"/>). Bookmarks suspend an instance without holding
/// a thread; timer bookmarks are resumed by the runtime itself. Observe instances through <see cref="IWorkflowEventStream"/>.
/// </summary>
public interface IWorkflowRuntime
{
    /// <summary>Creates an instance of <paramref name="definition"/> (committed as Running) and starts executing it in the
    /// background; returns its id. Throws <see cref="ArgumentException"/> when a required workflow input is missing.</summary>
    Task<string> StartAsync(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?>? inputs = null,
        StartWorkflowOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Waits until the instance has ended (Finished, Faulted or Cancelled), through any suspensions; returns the final status.</summary>
    Task<WorkflowStatus> WaitForEndAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Waits until nothing executes: the instance is Suspended or has ended; returns that status.</summary>
    Task<WorkflowStatus> WaitForIdleAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Starts an instance and waits for its end: <see cref="StartAsync"/> then <see cref="WaitForEndAsync"/>.</summary>
    Task<(string InstanceId, WorkflowStatus Status)> RunToEndAsync(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?>? inputs = null,
        CancellationToken cancellationToken = default);

    /// <summary>Requests cooperative cancellation: running activities see their token cancelled, bookmarks are removed,
    /// the definition's compensation runs, and the instance ends Cancelled. False when the instance has already ended
    /// (or is compensating already). Returns once the request is committed, not when the instance has ended.
    /// Throws <see cref="KeyNotFoundException"/> for an unknown instance.</summary>
    Task<bool> CancelAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Resumes one bookmark with an optional input (the activity's <c>OnResumeAsync</c> sees it as
    /// <c>Bookmark.ResumeInput</c>). False when the instance has no such bookmark (already resumed or cancelled) or has
    /// ended; throws <see cref="KeyNotFoundException"/> for an unknown instance. Find bookmarks waiting for a stimulus
    /// with <see cref="IWorkflowInstanceStore.FindBookmarksAsync"/>.</summary>
    Task<bool> ResumeBookmarkAsync(string instanceId, string bookmarkId, JsonNode? input = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Call once at start-up. Instances that were Running when the previous process died are recovered by each
    /// interrupted activity's <see cref="Model.RecoveryPolicy"/>: Rerun executes it again; Compensate never re-runs it,
    /// journals it and runs the definition's compensation (the instance ends Faulted). Only instances whose lease has
    /// expired or that no one holds are taken (the takeover is journaled); those a live process holds are reported. Suspended instances keep their
    /// bookmarks; due timers are resumed by the timer scheduler, which this call starts.
    /// </summary>
    Task<RecoveryReport> RecoverAsync(CancellationToken cancellationToken = default);

    /// <summary>Recovers only <paramref name="instanceIds"/> (those still Running, by the same rules as
    /// <see cref="RecoverAsync"/>): what a live host's takeover poll runs on <see cref="ListTakeableAsync"/>'s answer.</summary>
    Task<RecoveryReport> RecoverInstancesAsync(IReadOnlyCollection<string> instanceIds, CancellationToken cancellationToken = default);

    /// <summary>Running instances this runtime does not execute whose lease expired, that no one holds, or whose holder
    /// ran on this machine and is gone: the ones a takeover may take now (one query; cheap enough to poll).</summary>
    Task<IReadOnlyList<string>> ListTakeableAsync(CancellationToken cancellationToken = default);

    /// <summary>Registers this process in <c>runtime_hosts</c> (and starts renewing its row) if it has not yet; returns its
    /// id, which other processes judge alive or gone by <see cref="GoneHostsAsync"/>. The host records it next to work it
    /// claims outside an instance (a schedule's fire time), so that work is taken over by the same rule as instances.</summary>
    Task<string> RegisterHostAsync(CancellationToken cancellationToken = default);

    /// <summary>Of <paramref name="hostIds"/> (ids from <see cref="RegisterHostAsync"/>), those whose process is gone: its row's
    /// renewal is older than the lease duration, its row was removed (a clean stop), or it ran on this machine and its pid no
    /// longer exists. Never this process. One query.</summary>
    Task<IReadOnlySet<string>> GoneHostsAsync(IReadOnlyCollection<string> hostIds, CancellationToken cancellationToken = default);
}

/// <summary>Options of one start.</summary>
/// <param name="InstanceId">Use this id instead of a new one (lets an observer subscribe before the start).</param>
/// <param name="CorrelationId">A business key to find the instance by, e.g. the VM being migrated.</param>
public sealed record StartWorkflowOptions(string? InstanceId = null, string? CorrelationId = null);

/// <summary>What <see cref="IWorkflowRuntime.RecoverAsync"/> did.</summary>
/// <param name="Recovered">Instances that were Running and are executing again (or compensating).</param>
/// <param name="Failed">Instances that could not be recovered, with the reason (they stay Running in the database).</param>
/// <param name="Held">Instances left alone because another live process holds their lease, with who ("held by HOST pid N,
/// lease renewed 1.2 s ago").</param>
public sealed record RecoveryReport(IReadOnlyList<string> Recovered, IReadOnlyList<(string InstanceId, string Error)> Failed,
    IReadOnlyList<(string InstanceId, string HeldBy)> Held);
