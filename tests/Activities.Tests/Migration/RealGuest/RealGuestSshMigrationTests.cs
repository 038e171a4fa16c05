using Elsa.Migration.Activities.GuestAgent;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Tests.Nodes;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>
/// live-migrate-freeze.json in Agent mode with both nodes reached over SSH (real sshd on loopback): the guest agent's
/// fsfreeze goes through <c>ssh node socat</c> to the source's chardev socket, QMP likewise, NBD and RAM over TCP.
/// The real guest (real qemu-ga, ext4, fsync'ing writer) must keep its heartbeat on the target.
/// </summary>
[Collection("zfs")]
public sealed class RealGuestSshMigrationTests(ITestOutputHelper output)
{
    [Fact(Timeout = 420_000)]
    public async Task LiveMigrateFreezeJson_InAgentMode_BetweenNodesReachedOverSsh_ShouldFreezeThroughTheRelayAndKeepTheGuestRunningOnTheTarget()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6.5));
        var ct = cts.Token;
        TestTools.Require("socat", "ss", "ssh");
        await using var sshd = await SshdFixture.StartAsync(ct);
        await using var h = await RealGuestHarness.CreateAsync(output, ct, labOptions: new LabOptions { ConfigureNode = sshd.AsRemoteNode });
        var sourceConsole = h.Console(RealGuestHarness.Source);
        var beforeMigration = await sourceConsole.WaitForNewHeartbeatsAsync(2, TimeSpan.FromSeconds(30), ct);

        var (id, status) = await h.RunAsync(RealGuestHarness.FreezeWorkflow(verify: false), ct);
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.DoesNotContain(journal, e => e.Kind == JournalKind.ActivityFaulted);
        Assert.DoesNotContain(journal, e => e.ActivityId == "rollback" && e.Kind == JournalKind.ActivityStarted);
        var freeze = journal.Single(e => e.ActivityId == "freezeGuest" && e.Kind == JournalKind.Message).Message!;
        Assert.Contains("Agent", freeze);
        Assert.Contains("guest filesystems frozen", freeze);
        var thaw = journal.Single(e => e.ActivityId == "thawGuest" && e.Kind == JournalKind.Message).Data!;
        Assert.False(thaw["thawedByWatchdog"]!.GetValue<bool>());
        var prepare = journal.Single(e => e.ActivityId == "prepareTarget" && e.Kind == JournalKind.Message).Data!;
        Assert.True(prepare["tcp"]!.GetValue<bool>());
        Assert.StartsWith("tcp:127.0.0.1:", prepare["migrationUri"]!.GetValue<string>());

        // The guest lives on, on the target: heartbeat continues with its sequence rising.
        var lastOnSource = sourceConsole.ReadLatest()!;
        var targetConsole = h.Console(RealGuestHarness.Target);
        var firstOnTarget = await targetConsole.WaitForFirstHeartbeatAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(firstOnTarget.Sequence >= lastOnSource.Sequence, $"target seq {firstOnTarget.Sequence} < source seq {lastOnSource.Sequence}");
        var later = await targetConsole.WaitForSequenceAboveAsync(firstOnTarget.Sequence + 5, TimeSpan.FromSeconds(60), ct);
        Assert.True(lastOnSource.Sequence > beforeMigration.Sequence, "the guest wrote during the migration");

        // The agent answers on the target, reached the way the product reaches it: through the node's ssh relay.
        var target = h.Lab.Inventory.CreateExecutor(RealGuestHarness.Target);
        await using (var agent = new GuestAgentClient(c => NodeSocketConnector.For(target).ConnectAsync(h.TargetPaths.GuestAgentSocket, c), "target agent"))
        {
            await agent.SyncAsync(ct);
            Assert.Equal(GuestFsFreezeStatus.Thawed, await agent.GetFreezeStatusAsync(cancellationToken: ct));
        }

        var resumed = journal.Single(e => e.ActivityId == "resumeTarget" && e.Data?["guestPauseMs"] is not null).Data!;
        output.WriteLine($"over SSH/TCP with the real guest: freeze window {thaw["freezeWindowMs"]} ms; QEMU downtime {resumed["downtimeMs"]} ms; " +
            $"guest pause {resumed["guestPauseMs"]} ms; seq {beforeMigration.Sequence} before, {lastOnSource.Sequence} last on source, " +
            $"{firstOnTarget.Sequence} first on target, {later.Sequence} later");
    }
}
