using System.Text.RegularExpressions;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Tests.Persistence;
using Elsa.Migration.Host.Scheduling;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Host.Tests.Cli;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Scheduling;

/// <summary>
/// Issue 15's acceptance test: two real <c>serve</c> processes on one PostgreSQL database, a cron every 10 s, about two
/// minutes; in the middle the host that logs the next claim is SIGKILLed at once (so the kill often lands between its
/// claim and its record). Every fire time of the window has exactly one run row, Started, and its instance finished: none ran
/// twice, none was lost.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed partial class ClusteredScheduleProcessTests(PostgreSqlServer server, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(120);
    private string _db = "";

    public async Task InitializeAsync() => _db = await server.CreateDatabaseAsync();

    public Task DisposeAsync() => server.DropDatabaseAsync(_db);

    [Fact(Timeout = 300_000)]
    public async Task Two_serve_processes_start_every_fire_time_once_and_lose_none_when_one_is_killed()
    {
        var file = Path.Combine(Path.GetTempPath(), $"quick-flow-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, TestWorkflows.Quick());
        try
        {
            var imported = await CliProcess.RunAsync(_db, "import", file, "--db", _db);
            Assert.True(imported.ExitCode == 0, imported.Output + imported.Error);
            var added = await CliProcess.RunAsync(_db, "schedule", "add", "quick-flow", "--cron", "0/10 * * * * ?", "--db", _db);
            Assert.True(added.ExitCode == 0, added.Output + added.Error);
            var scheduleId = AddedSchedule().Match(added.Output).Groups[1].Value;

            using var hostA = CliProcess.Start(_db, "serve", "--urls", "http://127.0.0.1:0", "--db", _db);
            using var hostB = CliProcess.Start(_db, "serve", "--urls", "http://127.0.0.1:0", "--db", _db);
            await hostA.WaitForOutputAsync("Now listening on: ", TimeSpan.FromSeconds(90));
            await hostB.WaitForOutputAsync("Now listening on: ", TimeSpan.FromSeconds(90));
            var began = DateTimeOffset.UtcNow;
            var end = began + Duration;

            // The middle: whichever host logs the next claim is killed at once, so the kill lands between its claim and
            // its record (or just after the record: the start takes a few milliseconds).
            await Task.Delay(Duration / 2);
            var claimsBefore = (A: Claims(hostA.Output), B: Claims(hostB.Output));
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                while (Claims(hostA.Output) == claimsBefore.A && Claims(hostB.Output) == claimsBefore.B && !wait.IsCancellationRequested)
                    await Task.Delay(2);
            var (killed, survivor) = Claims(hostA.Output) > claimsBefore.A ? (hostA, hostB) : (hostB, hostA);
            killed.Crash();
            var killedAt = DateTimeOffset.UtcNow;

            await Task.Delay(end - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5));
            await survivor.InterruptAsync();
            await survivor.WaitForExitAsync(TimeSpan.FromSeconds(60));

            var database = StoreDatabase.For(_db, NullLoggerFactory.Instance);
            var runs = await new ScheduleStore(new HostDatabase(database), TimeProvider.System).ListRunsAsync(scheduleId, default);
            var first = NextFireTime(began + TimeSpan.FromSeconds(1));
            var expected = new List<DateTimeOffset>();
            for (var at = first; at <= end; at += Every)
                expected.Add(at);
            var perFireTime = runs.GroupBy(r => r.ScheduledFor).ToDictionary(g => g.Key, g => g.ToList());
            var reclaimed = runs.Where(r => r.Message?.Contains("died before", StringComparison.Ordinal) == true).ToList();
            output.WriteLine($"{expected.Count} fire times from {first:HH:mm:ss} to {expected[^1]:HH:mm:ss}; {runs.Count} runs in all; " +
                $"{(killed == hostA ? "A" : "B")} (pid {killed.Id}) killed at {killedAt:HH:mm:ss.fff} right after it logged a claim; " +
                $"claims: A {Claims(hostA.Output)}, B {Claims(hostB.Output)}; re-claimed by the survivor: " +
                (reclaimed.Count == 0 ? "none (the killed host had recorded its claim)" :
                    string.Join(", ", reclaimed.Select(r => $"{r.ScheduledFor:HH:mm:ss} {r.Outcome} {(r.HappenedAt - killedAt).TotalSeconds:0.00} s after the kill ({r.Message})"))));
            foreach (var at in expected)
            {
                Assert.True(perFireTime.TryGetValue(at, out var atRuns), $"fire time {at:O} was lost: no run row");
                Assert.True(atRuns!.Count == 1, $"fire time {at:O} has {atRuns.Count} runs: {string.Join(", ", atRuns.Select(r => r.Outcome))}");
                Assert.True(atRuns[0].Outcome == ScheduleRunOutcomes.Started, $"fire time {at:O}: {atRuns[0].Outcome} {atRuns[0].Message}");
            }
            Assert.All(runs.GroupBy(r => r.ScheduledFor), g => Assert.Single(g));
            var instances = new SqlWorkflowInstanceStore(database);
            foreach (var at in expected)
            {
                var instance = await instances.GetAsync(perFireTime[at][0].InstanceId!, default);
                Assert.True(instance?.Status == WorkflowStatus.Finished, $"fire time {at:O}: instance {perFireTime[at][0].InstanceId} is {instance?.Status}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static int Claims(string log) => ClaimLine().Count(log);

    private static DateTimeOffset NextFireTime(DateTimeOffset after)
    {
        var ticks = (after.UtcTicks + Every.Ticks - 1) / Every.Ticks * Every.Ticks;
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    [GeneratedRegex(@"Added schedule (\S+) ")]
    private static partial Regex AddedSchedule();

    [GeneratedRegex("claimed fire time")]
    private static partial Regex ClaimLine();
}
