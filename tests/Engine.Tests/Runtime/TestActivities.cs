using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>What test activities did, in order (shared through the context's services).</summary>
public sealed class ExecutionLog
{
    private readonly ConcurrentQueue<string> _entries = new();
    private int _concurrent;
    private int _maxConcurrent;

    public IReadOnlyList<string> Entries => [.. _entries];
    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public void Add(string entry) => _entries.Enqueue(entry);

    public IDisposable Enter()
    {
        var now = Interlocked.Increment(ref _concurrent);
        int seen;
        while ((seen = Volatile.Read(ref _maxConcurrent)) < now && Interlocked.CompareExchange(ref _maxConcurrent, now, seen) != seen) { }
        return new Exit(this);
    }

    private sealed class Exit(ExecutionLog log) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref log._concurrent);
    }
}

/// <summary>Gates that tests open to let a <see cref="GatedStep"/> continue.</summary>
public sealed class TestGates
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

    public TaskCompletionSource For(string name) => _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Open(string name) => For(name).TrySetResult();
}

internal static class ContextExtensions
{
    public static T Service<T>(this ActivityExecutionContext context) where T : class =>
        (T)(context.Services.GetService(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered"));
}

/// <summary>Logs its id; optionally works for <see cref="WorkMs"/> milliseconds (cancellable).</summary>
[Activity("RuntimeTest", TypeName = "Step")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Step : CodeActivity
{
    [Input] public Input<int>? WorkMs { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var log = context.Service<ExecutionLog>();
        using (log.Enter())
        {
            log.Add(context.Activity.Id);
            var work = context.Get(WorkMs);
            if (work > 0)
                await Task.Delay(work, context.CancellationToken);
        }
    }
}

/// <summary>Waits until the test opens the gate named by its id, then completes (cancellable).</summary>
[Activity("RuntimeTest", TypeName = "Gated")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class GatedStep : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var log = context.Service<ExecutionLog>();
        log.Add(context.Activity.Id + ":waiting");
        try
        {
            await context.Service<TestGates>().For(context.Activity.Id).Task.WaitAsync(context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            log.Add(context.Activity.Id + ":cancelled");
            throw;
        }
        log.Add(context.Activity.Id);
    }
}

/// <summary>Throws, always.</summary>
[Activity("RuntimeTest", TypeName = "Fail")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
public sealed class FailStep : CodeActivity
{
    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        context.Service<ExecutionLog>().Add(context.Activity.Id);
        throw new InvalidOperationException($"{context.Activity.Id} broke on purpose");
    }
}

/// <summary>Increments the <c>attempts</c> variable and throws until it reaches <see cref="SucceedOnAttempt"/> (a retry target).</summary>
[Activity("RuntimeTest", TypeName = "Flaky")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class FlakyStep : CodeActivity
{
    [Input] public Input<int>? SucceedOnAttempt { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var attempt = (context.GetVariable("attempts")?.GetValue<int>() ?? 0) + 1;
        context.SetVariable("attempts", attempt);
        context.Service<ExecutionLog>().Add($"{context.Activity.Id}#{attempt}");
        if (attempt < context.Get(SucceedOnAttempt))
            throw new InvalidOperationException($"attempt {attempt} failed");
        return ValueTask.CompletedTask;
    }
}

/// <summary>Waits for a <c>Signal</c> bookmark; completes with the resume input's <c>outcome</c> (default Done).</summary>
[Activity("RuntimeTest", TypeName = "WaitSignal")]
[FlowNode("Done", "Other")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class WaitSignal : Activity
{
    public override ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        context.CreateBookmark("Signal", new JsonObject { ["activity"] = context.Activity.Id });
        return ValueTask.CompletedTask;
    }

    public override ValueTask OnResumeAsync(ActivityExecutionContext context, Bookmark bookmark)
    {
        context.Service<ExecutionLog>().Add(context.Activity.Id + ":resumed");
        return context.CompleteAsync(bookmark.ResumeInput?["outcome"]?.GetValue<string>() ?? Outcomes.Done);
    }
}

/// <summary>Records a ledger entry (the kind of thing a compensation reads), then completes.</summary>
[Activity("RuntimeTest", TypeName = "Record")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class RecordStep : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        context.Service<ExecutionLog>().Add(context.Activity.Id);
        await context.RecordResourceAsync("test-resource", "node-a", context.Activity.Id);
    }
}

/// <summary>Like <see cref="GatedStep"/> but with the default recovery policy (Compensate): never re-run after a crash.</summary>
[Activity("RuntimeTest", TypeName = "GatedNoRerun")]
public sealed class GatedNoRerunStep : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        context.Service<ExecutionLog>().Add(context.Activity.Id + ":waiting");
        await context.Service<TestGates>().For(context.Activity.Id).Task.WaitAsync(context.CancellationToken);
        context.Service<ExecutionLog>().Add(context.Activity.Id);
    }
}

/// <summary>Reports <see cref="Reports"/> progress steps of 10 units as fast as it can.</summary>
[Activity("RuntimeTest", TypeName = "Progress")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class ProgressStep : CodeActivity
{
    [Input] public Input<int>? Reports { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var reports = context.Get(Reports);
        for (var i = 1; i <= reports; i++)
            await context.ReportProgressAsync(new Progress("disk vd0", i * 10, reports * 10, "bytes", 1000));
    }
}
