using System.Diagnostics;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Persistence.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>
/// A real child process runs two workflows and is killed with SIGKILL while both are inside an activity; a second
/// process recovers them. Everything is asserted from the SQLite file.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-crash-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _db;

    public CrashRecoveryTests()
    {
        Directory.CreateDirectory(_directory);
        _db = Path.Combine(_directory, "state.db");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task SigkillMidActivity_ThenRecovery_ShouldRerunTheRerunActivityAndCompensateInsteadOfRerunningTheOther()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        string rerunId, compensateId;
        using (var worker = StartWorker("start"))
        {
            try
            {
                var started = (await ReadLineAsync(worker, l => l.StartsWith("started ", StringComparison.Ordinal), timeout.Token)).Split(' ');
                (rerunId, compensateId) = (started[1], started[2]);
                await ReadLineAsync(worker, l => l.StartsWith($"executing {rerunId} idempotent", StringComparison.Ordinal) ||
                                                 l.StartsWith($"executing {compensateId} risky", StringComparison.Ordinal), timeout.Token);
                await ReadLineAsync(worker, l => l.StartsWith("executing ", StringComparison.Ordinal), timeout.Token);
            }
            finally
            {
                worker.Kill(); // SIGKILL: no cleanup code runs in the child.
                await worker.WaitForExitAsync(timeout.Token);
            }
        }
        var database = new SqliteDatabase(_db, NullLogger<SqliteDatabase>.Instance);
        var instances = new SqlWorkflowInstanceStore(database);
        var journal = new SqlJournalStore(database);
        Assert.Equal(WorkflowStatus.Running, (await instances.GetAsync(rerunId, timeout.Token))!.Status);
        Assert.Equal(WorkflowStatus.Running, (await instances.GetAsync(compensateId, timeout.Token))!.Status);

        using (var recovery = StartWorker("recover"))
        {
            await recovery.WaitForExitAsync(timeout.Token);
            Assert.True(recovery.ExitCode == 0, $"recover exited {recovery.ExitCode}: {await recovery.StandardError.ReadToEndAsync(timeout.Token)}");
        }

        var rerun = await instances.GetAsync(rerunId, timeout.Token);
        var rerunJournal = await journal.ReadAsync(rerunId, 0, 1000, timeout.Token);
        Assert.Equal(WorkflowStatus.Finished, rerun!.Status);
        Assert.Equal(2, rerunJournal.Count(e => e.Kind == JournalKind.ActivityStarted && e.ActivityId == "idempotent"));
        Assert.Single(rerunJournal, e => e.Kind == JournalKind.ActivityCompleted && e.ActivityId == "idempotent");
        Assert.Single(rerunJournal, e => e.Kind == JournalKind.ActivityRecovered && e.Data?["policy"]?.GetValue<string>() == "Rerun");
        Assert.Equal(2, rerunJournal.Count(e => e.Kind == JournalKind.Message && e.Message!.StartsWith("idempotent executing", StringComparison.Ordinal)));

        var compensated = await instances.GetAsync(compensateId, timeout.Token);
        var compensatedJournal = await journal.ReadAsync(compensateId, 0, 1000, timeout.Token);
        Assert.Equal(WorkflowStatus.Faulted, compensated!.Status);
        Assert.Contains("recovery policy is Compensate", compensated.Error);
        Assert.Single(compensatedJournal, e => e.Kind == JournalKind.ActivityStarted && e.ActivityId == "risky");
        Assert.Single(compensatedJournal, e => e.Kind == JournalKind.ActivityRecovered && e.ActivityId == "risky" && e.Data?["policy"]?.GetValue<string>() == "Compensate");
        Assert.Single(compensatedJournal, e => e.Kind == JournalKind.ActivityCompleted && e.ActivityId == "rollback");
        Assert.DoesNotContain(compensatedJournal, e => e.ActivityId == "after");
        var resource = Assert.Single(await new SqlLedgerStore(database).ListAsync(compensateId, timeout.Token));
        Assert.Equal("made-by-risky", resource.Name);
        Assert.NotNull(resource.ReleasedAt);
    }

    private Process StartWorker(string mode)
    {
        // tests/Engine.Tests/bin/CONFIGURATION/net10.0 -> tests/Engine.TestWorker/bin/CONFIGURATION/net10.0
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var worker = Path.Combine(output.Parent!.Parent!.Parent!.Parent!.FullName, "Engine.TestWorker", "bin", output.Parent.Name, output.Name,
            "Elsa.Migration.Engine.TestWorker.dll");
        if (!File.Exists(worker))
            throw new FileNotFoundException($"The test worker is not built at {Path.GetFullPath(worker)}: build tests/Engine.TestWorker (the test project references it).");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { worker, mode, "--db", _db })
            start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the test worker.");
    }

    private static async Task<string> ReadLineAsync(Process process, Func<string, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cancellationToken)
                ?? throw new InvalidOperationException($"The worker exited ({(process.HasExited ? process.ExitCode : -1)}) early: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
            if (match(line))
                return line;
        }
    }
}
