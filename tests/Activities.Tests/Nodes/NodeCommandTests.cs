using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Tests.Nodes;

public sealed class NodeCommandTests
{
    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it'\"'\"'s'")]
    [InlineData("$(reboot)", "'$(reboot)'")]
    [InlineData("", "''")]
    public void Quote_ShouldProduceASingleShellWord(string value, string expected) => Assert.Equal(expected, ShellQuoting.Quote(value));

    [Theory]
    [InlineData("zfs; reboot")]
    [InlineData("-rf")]
    [InlineData("zfs send")]
    [InlineData("$(id)")]
    public void NodeCommand_WhenProgramIsNotAPlainName_ShouldBeRejected(string program) =>
        Assert.Throws<ArgumentException>(() => new NodeCommand(program, "x"));

    [Fact]
    public void NodeCommand_WhenAnArgumentHasNul_ShouldBeRejected() =>
        Assert.Throws<ArgumentException>(() => new NodeCommand("echo", "a\0b"));

    [Fact]
    public void SshTransport_ShouldPinHostKeyCheckingAndQuoteEveryRemoteArgument()
    {
        var spec = new SshTransport(new SshEndpoint("10.0.0.2", 2222, "root", "/etc/elsa/id", "/etc/elsa/known_hosts"))
            .Prepare(new NodeCommand("zfs", "recv", "-F", "pool/a b"));

        Assert.Equal("ssh", spec.FileName);
        Assert.Contains("BatchMode=yes", spec.Arguments);
        Assert.Contains("StrictHostKeyChecking=yes", spec.Arguments);
        Assert.Contains("UserKnownHostsFile=/etc/elsa/known_hosts", spec.Arguments);
        Assert.Equal(["--", "10.0.0.2", "'zfs'", "'recv'", "'-F'", "'pool/a b'"], spec.Arguments.Skip(spec.Arguments.Count - 6));
    }

    [Theory]
    [InlineData("-oProxyCommand=touch /tmp/x", 22, "root")]
    [InlineData("host name", 22, "root")]
    [InlineData("10.0.0.2", 0, "root")]
    [InlineData("10.0.0.2", 22, "-lroot")]
    public void SshEndpoint_WhenAnyFieldCouldInject_ShouldBeRejected(string host, int port, string user) =>
        Assert.Throws<ArgumentException>(() => new SshTransport(new SshEndpoint(host, port, user, "/k", "/kh")));

    [Theory]
    [InlineData("vm-100", true)]
    [InlineData("-vm", false)]
    [InlineData("vm 100", false)]
    [InlineData("vm;rm", false)]
    [InlineData("vm$(x)", false)]
    public void NameRules_VmId(string value, bool valid) => Assert.Equal(valid, NameRules.IsVmId(value));

    [Theory]
    [InlineData("rpool/data/vm-100-disk-0", true)]
    [InlineData("rpool/../x", false)]
    [InlineData("-rpool", false)]
    [InlineData("rpool/a,b", false)]
    [InlineData("rpool//x", false)]
    public void NameRules_Dataset(string value, bool valid) => Assert.Equal(valid, NameRules.IsDatasetName(value));

    [Theory]
    [InlineData("/tmp/lab/disk.raw", true)]
    [InlineData("/tmp/a,format=qcow2", false)]
    [InlineData("relative/path", false)]
    [InlineData("/tmp/../etc/shadow", false)]
    public void NameRules_Path(string value, bool valid) => Assert.Equal(valid, NameRules.IsSafeAbsolutePath(value));
}
