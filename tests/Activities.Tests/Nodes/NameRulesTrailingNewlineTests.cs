using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>.NET's '$' also matches before a final '\n': every rule must anchor at the true end of the string.</summary>
public sealed class NameRulesTrailingNewlineTests
{
    public static TheoryData<string, Func<string?, bool>> Rules() => new()
    {
        { "node-a", NameRules.IsNodeName },
        { "main-2", NameRules.IsSiteName },
        { "vm100", NameRules.IsVmId },
        { "drive0", NameRules.IsQemuId },
        { "rpool/data/vm-100-disk-0", NameRules.IsDatasetName },
        { "elsa-1", NameRules.IsSnapshotName },
        { "/run/elsa/vm100.qmp", NameRules.IsSafeAbsolutePath },
        { "disk.raw", NameRules.IsFileName },
        { "10.0.0.2", NameRules.IsHost },
        { "root", NameRules.IsUserName },
        { "10.0.0.2", NetworkAddress.IsValid },
        { "node-b.example.com", NetworkAddress.IsValid },
        { "2001:db8::2", NetworkAddress.IsValid },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule_ShouldAcceptTheNameButNotTheNameFollowedByANewline(string valid, Func<string?, bool> rule)
    {
        Assert.True(rule(valid));
        Assert.False(rule(valid + "\n"));
    }

    [Fact]
    public void NodeCommand_WhenTheProgramEndsWithANewline_ShouldRefuseIt()
    {
        Assert.Throws<ArgumentException>(() => new NodeCommand("socat\n"));
    }
}
