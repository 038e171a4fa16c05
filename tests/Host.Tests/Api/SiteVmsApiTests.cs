using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary>GET /api/sites/{name}/vms: every node asked where each VM runs; a node that cannot be asked is "unknown", never "stopped".</summary>
public sealed class SiteVmsApiTests() : ServerTest(TimeSpan.FromSeconds(90))
{
    [Fact]
    public async Task A_VM_no_node_runs_is_stopped_and_one_whose_node_cannot_be_asked_is_unknown_with_the_reason()
    {
        var inventory = TestSites.Inventory(Db.Folder);
        // A node reached over SSH on a loopback port nobody listens on: it cannot be asked.
        inventory["nodes"]!.AsArray().Add(new JsonObject
        {
            ["name"] = "lab-gone",
            ["transport"] = new JsonObject { ["kind"] = "ssh", ["host"] = "127.0.0.1", ["port"] = 9, ["user"] = "root",
                ["identityFile"] = Path.Combine(Db.Folder, "id"), ["knownHostsFile"] = Path.Combine(Db.Folder, "known_hosts") },
            ["qmpSocketDir"] = "/run/elsa-gone",
            ["migrationAddress"] = "127.0.0.1",
            ["storages"] = new JsonArray(new JsonObject { ["id"] = "local", ["layout"] = "directory", ["mountpoint"] = "/run/elsa-gone/disks" }),
        });
        inventory["vms"] = new JsonArray(new JsonObject
        {
            ["id"] = "vm7",
            ["disks"] = new JsonArray(new JsonObject { ["id"] = "drive0", ["deviceId"] = "vd0", ["nodeName"] = "disk0", ["kind"] = "local", ["storage"] = "local", ["volume"] = "vm7.raw", ["sizeBytes"] = 1 << 20 }),
        });
        var registered = await Server.Client.PostAsJsonAsync("/api/sites", new JsonObject { ["name"] = "two", ["inventory"] = inventory }, Timeout.Token);
        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync(Timeout.Token));

        var site = await Server.Client.GetFromJsonAsync<JsonObject>("/api/sites/two/vms", Timeout.Token);
        var missing = await Server.Client.GetAsync("/api/sites/nope/vms", Timeout.Token);

        Assert.Equal(["lab-a", "lab-b", "lab-gone"], site!["nodes"]!.AsArray().Select(n => n!.GetValue<string>()));
        var vm = site["vms"]!.AsArray().Single()!;
        Assert.Equal("unknown", vm["state"]!.GetValue<string>()); // two nodes said stopped, one could not be asked
        Assert.Null(vm["runsOn"]);
        var nodes = vm["nodes"]!.AsArray().ToDictionary(n => n!["node"]!.GetValue<string>());
        Assert.Equal("stopped", nodes["lab-a"]!["state"]!.GetValue<string>());
        Assert.Equal("unknown", nodes["lab-gone"]!["state"]!.GetValue<string>());
        Assert.Contains("Could not ask node 'lab-gone'", nodes["lab-gone"]!["error"]!.GetValue<string>());
        Assert.Equal("local", vm["disks"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
