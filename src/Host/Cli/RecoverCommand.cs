using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// <c>recover</c>: recovers the instances a dead process left Running in the database (the same path <c>serve</c> takes at
/// start-up: <see cref="InterruptedInstanceRecovery"/>), prints what it decided per instance and their journal live,
/// and waits for them. Instances another live process holds (its lease is renewed) are left alone and listed. Exit 0 when
/// every recovered instance ended Finished or compensated cleanly (also when there was nothing to recover), 1 otherwise
/// (a compensation that faulted, an instance that could not be loaded or is suspended).
/// </summary>
internal static class RecoverCommand
{
    public static Command Create(Option<string?> database)
    {
        var command = new Command("recover", "Recover workflow instances that were running when their process died (e.g. a killed `run`): " +
            "each interrupted activity is re-run when its recovery policy says it is safe, otherwise the workflow's compensation " +
            "(Rollback) runs. Prints the decisions and the journal, waits for the instances. Exit code: 0 every instance Finished " +
            "or compensated cleanly, 1 otherwise. Instances a live process (serve, run) holds by lease are left alone and listed.");
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(database), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? databasePath, CancellationToken cancellationToken)
    {
        await using var services = CliServices.Build(databasePath);
        var runtime = services.GetRequiredService<IWorkflowRuntime>();
        var recovery = ActivatorUtilities.CreateInstance<InterruptedInstanceRecovery>(services);
        Console.Out.WriteLine($"Database: {services.GetRequiredService<StoreDatabase>().Display}");
        // Subscribed before recovering: the decisions are journal entries committed during RecoverAsync.
        using var subscription = services.GetRequiredService<IWorkflowEventStream>().Subscribe();
        var printer = PrintAsync(subscription);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<RecoveredInstance> recovered;
        IReadOnlyList<(string InstanceId, string Error)> failed;
        try
        {
            var outcome = await recovery.RecoverAsync(cancellationToken);
            (recovered, failed) = (outcome.Recovered, outcome.Failed);
            foreach (var (instanceId, heldBy) in outcome.Held)
                Console.Out.WriteLine($"Left {instanceId} alone: {heldBy} (a live process runs it).");
            foreach (var instance in recovered)
                Console.Out.WriteLine($"Recovering {instance.InstanceId} ({instance.DefinitionName}): {instance.Summary}");
            foreach (var (instanceId, error) in failed)
                await Console.Error.WriteLineAsync($"Could not recover {instanceId}: {error} (it stays Running in the database)");
            if (recovered.Count == 0 && failed.Count == 0)
                Console.Out.WriteLine(outcome.Held.Count == 0 ? "Nothing to recover: no instance was left Running."
                    : "Nothing to recover: every Running instance is held by a live process.");

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => Cancel(signal, runtime, recovered));
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => Cancel(signal, runtime, recovered));
            var ends = await Task.WhenAll(recovered.Select(i => recovery.WaitForEndAsync(i, cancellationToken)));
            clock.Stop();
            foreach (var end in ends)
                Console.Out.WriteLine($"Instance {end.Instance.InstanceId} ended {end.Description}");
            Console.Out.WriteLine($"Recovery of {recovered.Count} instance(s) took {clock.Elapsed.TotalSeconds:0.0} s: " +
                $"{ends.Count(e => e.Clean)} clean, {ends.Count(e => !e.Clean) + failed.Count} not.");
            return ends.All(e => e.Clean) && failed.Count == 0 ? 0 : 1;
        }
        finally
        {
            subscription.Dispose();
            await printer;
        }
    }

    /// <summary>Ctrl-C: ask the recovered instances to cancel (their compensation still runs; a compensating one is left to finish).</summary>
    private static void Cancel(PosixSignalContext signal, IWorkflowRuntime runtime, IReadOnlyList<RecoveredInstance> recovered)
    {
        signal.Cancel = true; // keep running: a half-done rollback is worse than waiting for it
        Console.Error.WriteLine("Cancelling the recovered instances; compensations run to their end before recover exits...");
        foreach (var instance in recovered)
            _ = runtime.CancelAsync(instance.InstanceId, CancellationToken.None).ContinueWith(
                t => Console.Error.WriteLine($"Cancel {instance.InstanceId}: {t.Exception?.GetBaseException().Message}"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private static async Task PrintAsync(WorkflowEventSubscription subscription)
    {
        await foreach (var workflowEvent in subscription.ReadAllAsync())
        {
            if (workflowEvent is JournalAppended journal)
                Console.Out.WriteLine($"[{journal.Entry.InstanceId[..Math.Min(8, journal.Entry.InstanceId.Length)]}] {journal.Entry}");
        }
    }
}
