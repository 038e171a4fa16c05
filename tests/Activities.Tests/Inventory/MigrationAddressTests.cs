using Elsa.Migration.Activities.Inventory;

namespace Elsa.Migration.Activities.Tests.Inventory;

/// <summary>The optional per-node <c>migrationAddress</c>: parsed, round-tripped, and validated strictly.</summary>
public sealed class MigrationAddressTests
{
    private static string Json(string? address) => $$"""
        {
          "nodes": [
            { "name": "node-a", "qmpSocketDir": "/run/elsa", "storages": [] },
            { "name": "node-b", "qmpSocketDir": "/run/elsa", "storages": [],
              "transport": { "kind": "ssh", "host": "10.0.0.2", "user": "root", "identityFile": "/etc/elsa/id", "knownHostsFile": "/etc/elsa/known_hosts" }
              {{(address is null ? "" : ", \"migrationAddress\": " + System.Text.Json.JsonSerializer.Serialize(address))}} }
          ],
          "vms": []
        }
        """;

    [Theory]
    [InlineData("10.0.0.2")]
    [InlineData("192.168.100.254")]
    [InlineData("127.0.0.1")]
    [InlineData("2001:db8::2")]
    [InlineData("::1")]
    [InlineData("fd00:1:2:3::42")]
    [InlineData("node-b")]
    [InlineData("node-b.migration.example.com")]
    [InlineData("pve2")]
    public void Parse_WhenMigrationAddressIsAnIpOrHostName_ShouldAcceptAndRoundTripIt(string address)
    {
        var inventory = SiteInventory.Parse(Json(address));

        Assert.Equal(address, inventory.GetNode("node-b").MigrationAddress);
        Assert.Null(inventory.GetNode("node-a").MigrationAddress);
        Assert.Equal(address, SiteInventory.Parse(inventory.ToJson()).GetNode("node-b").MigrationAddress);
        Assert.DoesNotContain("migrationAddress", SiteInventory.Parse(Json(null)).ToJson());
    }

    [Theory]
    // QEMU option / URI injection
    [InlineData("10.0.0.2,server=on")]
    [InlineData("10.0.0.2:4444")]
    [InlineData("10.0.0.2 -incoming tcp:0:1")]
    [InlineData("[::1]")]
    [InlineData("fe80::1%eth0")]
    [InlineData("unix:/tmp/evil")]
    [InlineData("exec:touch /tmp/pwned")]
    // shell / ssh option injection
    [InlineData("-oProxyCommand=touch /tmp/pwned")]
    [InlineData("host;touch /tmp/pwned")]
    [InlineData("$(touch /tmp/pwned)")]
    [InlineData("`id`")]
    [InlineData("a'b")]
    [InlineData("node-b\nnode-c")]
    [InlineData("node-b\n")]
    [InlineData("10.0.0.2\n")]
    [InlineData("user@node-b")]
    [InlineData("node-b/24")]
    // malformed
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("10.0.0.256")]
    [InlineData("10.0.0")]
    [InlineData("010.0.0.2")]
    [InlineData("node-.example.com")]
    [InlineData("-node")]
    [InlineData("host.123")]
    [InlineData("a..b")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    // not an address the source can connect to
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("255.255.255.255")]
    [InlineData("ff02::1")]
    public void Parse_WhenMigrationAddressIsNotAStrictAddress_ShouldReportItWithItsLocation(string address)
    {
        var ex = Assert.Throws<InventoryException>(() => SiteInventory.Parse(Json(address)));

        var problem = Assert.Single(ex.Problems);
        Assert.StartsWith($"nodes[1].migrationAddress: '{address}' ", problem);
    }

    [Fact]
    public void Validate_WhenTheHostNameLabelIsTooLong_ShouldReportIt()
    {
        var ex = Assert.Throws<InventoryException>(() => SiteInventory.Parse(Json(new string('a', 64) + ".example.com")));

        Assert.Contains("is not a valid host name", Assert.Single(ex.Problems));
    }
}
