using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Zfs;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>The SSH transport against a real sshd on loopback (key auth, strict host key checking).</summary>
[Collection("zfs")]
public sealed class SshTransportTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60000)]
    public async Task RunAsync_OverSsh_ShouldPassEveryArgumentVerbatimWithoutShellInjection()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        var marker = Path.Combine(sshd.Directory, "pwned");
        var node = new NodeExecutor("remote", new SshTransport(sshd.Endpoint()));
        string[] args = ["a b", "it's", $"$(touch {marker})", $"`touch {marker}`", "; touch " + marker, "*", "", "line1\nline2", "\"q\"", "-n"];

        var result = await node.RunAsync(new NodeCommand("printf", ["%s|", .. args]), cts.Token);

        Assert.Equal(string.Join("", args.Select(a => a + "|")), result.StandardOutput);
        Assert.False(File.Exists(marker), "a shell metacharacter was interpreted on the remote side");
        output.WriteLine($"ssh round trip: {result.Duration.TotalMilliseconds:0} ms");
    }

    [Fact(Timeout = 60000)]
    public async Task RunAsync_WhenHostKeyIsNotKnown_ShouldFailWithExit255AndAHint()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        var emptyKnownHosts = Path.Combine(sshd.Directory, "empty_known_hosts");
        await File.WriteAllTextAsync(emptyKnownHosts, "", cts.Token);
        var node = new NodeExecutor("remote", new SshTransport(sshd.Endpoint(emptyKnownHosts)));

        var ex = await Assert.ThrowsAsync<NodeCommandException>(() => node.RunAsync(new NodeCommand("true"), cts.Token));

        Assert.Equal(255, ex.ExitCode);
        Assert.Contains("Host key verification failed", ex.StandardError);
        Assert.Contains("known_hosts", ex.Message);
    }

    [Fact(Timeout = 120000)]
    public async Task ZfsReplication_FromPoolAToPoolBOverSsh_ShouldTransferFullThenIncremental()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        TestTools.Require("zfs-fuse", "zfs", "qemu-img");
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        await using var lab = await LabEnvironment.CreateAsync(new LabOptions { PoolSizeBytes = 256L * 1024 * 1024 }, cancellationToken: cts.Token);
        await lab.AddVmAsync(lab.DefineVm("vm9", (DiskKind.Replicated, 16L * 1024 * 1024)), cts.Token);
        await lab.CreateDisksAsync("vm9", "lab-a", cts.Token);
        var src = lab.Inventory.ResolveDisk("vm9", "drive0", "lab-a");
        var dst = lab.Inventory.ResolveDisk("vm9", "drive0", "lab-b");
        var a = lab.Zfs("lab-a");
        var bOverSsh = new ZfsDriver(new NodeExecutor("lab-b", new SshTransport(sshd.Endpoint())));
        var replicator = new ZfsReplicator();

        await WriteAsync(src.Path, 0, 3 * 1024 * 1024, 0x42);
        await a.SnapshotAsync(src.Dataset!, "elsa-ssh-1", cts.Token);
        var full = await replicator.SendReceiveAsync(a, src.Dataset!, "elsa-ssh-1", null, bOverSsh, dst.Dataset!, cancellationToken: cts.Token);
        await WriteAsync(src.Path, 5 * 1024 * 1024, 512 * 1024, 0x43);
        await a.SnapshotAsync(src.Dataset!, "elsa-ssh-2", cts.Token);
        var common = await ZfsReplicator.NewestCommonSnapshotAsync(a, src.Dataset!, bOverSsh, dst.Dataset!, cts.Token);
        var incremental = await replicator.SendReceiveAsync(a, src.Dataset!, "elsa-ssh-2", common!.Name, bOverSsh, dst.Dataset!, cancellationToken: cts.Token);

        Assert.Equal("elsa-ssh-1", common.Name);
        Assert.True(full.BytesTransferred > 3 * 1024 * 1024);
        Assert.InRange(incremental.BytesTransferred, 512 * 1024, 1024 * 1024);
        Assert.Equal(["elsa-ssh-1", "elsa-ssh-2"], (await bOverSsh.ListSnapshotsAsync(dst.Dataset!, cts.Token)).Select(s => s.Name));
        var (code, text) = await TestTools.RunAsync("qemu-img", ["compare", "-f", "raw", "-F", "raw", "-T", "none", src.Path, dst.Path], cts.Token);
        Assert.True(code == 0, text);
        output.WriteLine($"over ssh: full {full.BytesTransferred} bytes in {full.Duration.TotalMilliseconds:0} ms; incremental {incremental.BytesTransferred} bytes in {incremental.Duration.TotalMilliseconds:0} ms");
    }

    private static async Task WriteAsync(string path, long offset, int length, byte value)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        await fs.WriteAsync(Enumerable.Repeat(value, length).ToArray());
    }
}
