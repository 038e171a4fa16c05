using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.TestWorker;

/// <summary>How the worker's activities behave: the first process blocks inside them (to be killed), the recovering one lets them finish.</summary>
public sealed record WorkerMode(bool Block);

/// <summary>Idempotent work: safe to run again after a crash.</summary>
[Activity("Worker", TypeName = "Idempotent")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Idempotent : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context) =>
        await WorkAsync(context);

    internal static async Task WorkAsync(ActivityExecutionContext context)
    {
        var mode = (WorkerMode)context.Services.GetService(typeof(WorkerMode))!;
        await context.JournalAsync($"{context.Activity.Id} executing in process {Environment.ProcessId}");
        Console.Out.WriteLine($"executing {context.InstanceId} {context.Activity.Id}");
        await Console.Out.FlushAsync();
        if (mode.Block)
            await Task.Delay(Timeout.InfiniteTimeSpan, context.CancellationToken);
    }
}

/// <summary>Work that must never run twice (no [Recovery] attribute: the default policy, Compensate).</summary>
[Activity("Worker", TypeName = "NotIdempotent")]
public sealed class NotIdempotent : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        await context.RecordResourceAsync("test-resource", "node-a", "made-by-" + context.Activity.Id);
        await Idempotent.WorkAsync(context);
    }
}

/// <summary>The compensation: releases what the instance recorded in its ledger.</summary>
[Activity("Worker", TypeName = "Rollback")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Rollback : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        foreach (var entry in await context.GetLedgerAsync())
        {
            if (entry.ReleasedAt is null)
                await context.ReleaseResourceAsync(entry.Id);
        }
    }
}
