using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>The lease rules as pure logic: who may take an instance, and what an operator is told.</summary>
public sealed class LeaseRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly InstanceLease HeldByA = new("a-1-x", Now.AddSeconds(8.8), "node-a", 1, Now.AddSeconds(-1.2));

    [Fact]
    public void IsHeldByOther_ShouldHoldUntilTheLeaseExpiresAndNeverAgainstItsHolderOrWithoutOne()
    {
        Assert.True(LeaseRules.IsHeldByOther(HeldByA, "b-2-y", Now));
        Assert.True(LeaseRules.IsHeldByOther(HeldByA, "b-2-y", Now.AddSeconds(8.8)));
        Assert.False(LeaseRules.IsHeldByOther(HeldByA, "b-2-y", Now.AddSeconds(8.9)));
        Assert.False(LeaseRules.IsHeldByOther(HeldByA, "a-1-x", Now));
        Assert.False(LeaseRules.IsHeldByOther(new InstanceLease(null, null, null, null, null), "b-2-y", Now));
    }

    [Fact]
    public void Descriptions_ShouldNameTheHolderItsPidAndTheAgeOfItsRenewal()
    {
        Assert.Equal("held by node-a pid 1, lease renewed 1.2 s ago", LeaseRules.DescribeHolder(HeldByA, Now));
        Assert.Equal("the lease of node-a pid 1 (a-1-x) expired 1.2 s ago", LeaseRules.TakeoverReason(HeldByA, "b-2-y", Now.AddSeconds(10)));
        Assert.Equal("node-a pid 1 (a-1-x) no longer runs on this machine (its lease would have expired in 8.8 s)",
            LeaseRules.TakeoverReason(HeldByA, "b-2-y", Now, holderGone: true));
        Assert.Null(LeaseRules.TakeoverReason(HeldByA, "a-1-x", Now));
        Assert.StartsWith("it had no holder", LeaseRules.TakeoverReason(new InstanceLease(null, null, null, null, null), "b-2-y", Now));
    }

    [Fact]
    public void A_host_is_live_while_renewed_within_the_lease_duration_and_runs_an_instance_only_while_its_lease_is_valid()
    {
        var host = new RuntimeHostRow("a-1-x", "node-a", 1, Now.AddMinutes(-5), Now.AddSeconds(-1.2), 1);
        Assert.True(LeaseRules.HostIsLive(host, Now, TimeSpan.FromSeconds(10)));
        Assert.True(LeaseRules.HostIsLive(host, Now.AddSeconds(8.8), TimeSpan.FromSeconds(10)));
        Assert.False(LeaseRules.HostIsLive(host, Now.AddSeconds(8.9), TimeSpan.FromSeconds(10)));

        Assert.Equal("node-a pid 1", LeaseRules.RunningOn(HeldByA, Now));
        Assert.Null(LeaseRules.RunningOn(HeldByA, Now.AddSeconds(8.9))); // expired: no live process runs it
        Assert.Equal("a-1-x", LeaseRules.RunningOn(HeldByA with { HostName = null, Pid = null }, Now)); // its host row is gone
        Assert.Null(LeaseRules.RunningOn(new InstanceLease(null, null, null, null, null), Now));
    }
}
