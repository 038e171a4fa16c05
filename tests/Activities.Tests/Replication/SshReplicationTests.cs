using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Tests.Nodes;
using Xunit.Abstractions;
using static Elsa.Migration.Activities.Tests.Replication.ReplicationLab;

namespace Elsa.Migration.Activities.Tests.Replication;

/// <summary>
/// The offline migration and the replication procedure against nodes reached over SSH (a real sshd on loopback, key
/// auth, host key checked): every zfs, dd, test and pid-file command and both pipes go through the nodes' executors.
/// </summary>
[Collection("zfs")]
public sealed class SshReplicationTests(ITestOutputHelper output)
{
    private const long MiB = 1L << 20;

    [Fact(Timeout = 300_000)]
    public async Task OfflineMigrateThenReplicateBack_BetweenNodesReachedOverSsh_ShouldMoveTheDisksAndSendOnlyTheDelta()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4.5));
        var ct = cts.Token;
        TestTools.Require("ssh", "socat");
        await using var sshd = await SshdFixture.StartAsync(ct);
        await using var lab = await ReplicationLab.CreateAsync(output, sshd.AsRemoteNode, ct, A, B);
        Assert.All(lab.Lab.Inventory.Nodes, n => Assert.Equal("ssh", n.Transport.Kind));
        await lab.CreateVmAsync([A, B], ct, (DiskKind.Replicated, 64 * MiB), (DiskKind.Local, 32 * MiB), (DiskKind.Unused, 16 * MiB));
        var localBefore = Path.Combine(lab.Lab.Directory, "drive1-before.raw");
        File.Copy(lab.Disk(1, A).Path, localBefore);

        var moved = await lab.RunAsync("offline-migrate.json", ct, ("SourceNode", A), ("TargetNode", B));

        AssertCompleted(moved);
        Assert.Contains(moved.Journal, e => e.ActivityId == "copyDisksOffline" && e.Message?.StartsWith("Copied local disk drive1", StringComparison.Ordinal) == true);
        Assert.True((await lab.CompareAsync(0, A, B, ct)).Identical, "drive0 differs on the target");
        Assert.True((await lab.Migration.CompareAsync(localBefore, lab.Disk(1, B).Path, ct)).Identical, "drive1 differs on the target");

        // The VM's disks are on b now: a replication run from b goes back to a from the offline migration's snapshot.
        await lab.WriteFileAsync(lab.Disk(0, B).Path, 3 * MiB, 0x42, ct);
        var back = await lab.ReplicateAsync(B, ct);

        AssertCompleted(back);
        var (bytes, from, ms) = Leg(back.Journal, "drive0", A);
        output.WriteLine($"replicate b->a over ssh: {bytes} bytes in {ms:0} ms from {from}");
        Assert.StartsWith("elsa-mig-", from);
        Assert.True(bytes < MiB, $"a 64 KiB change sent {bytes} bytes");
        Assert.Contains(back.Journal, e => e.Message == "Unused disk drive2 has no replica on lab-a: not replicated there");
        Assert.True((await lab.CompareAsync(0, A, B, ct)).Identical, "a's replica differs from b's disk");
    }
}
