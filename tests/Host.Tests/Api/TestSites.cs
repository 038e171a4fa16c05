using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary>A small valid site inventory (two local nodes named like the lab's, no VM) and its registration through the API.</summary>
public static class TestSites
{
    public static JsonObject Inventory(string root = "/run/elsa-test-site") => new()
    {
        ["nodes"] = new JsonArray(Node("lab-a", root), Node("lab-b", root)),
        ["vms"] = new JsonArray(),
    };

    /// <summary>Registers <see cref="Inventory"/> as <paramref name="name"/>; fails the test when the server refuses it.</summary>
    public static async Task RegisterAsync(HttpClient client, string name, CancellationToken cancellationToken)
    {
        var response = await client.PostAsJsonAsync("/api/sites", new JsonObject { ["name"] = name, ["inventory"] = Inventory() }, cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static JsonObject Node(string name, string root) => new()
    {
        ["name"] = name,
        ["transport"] = new JsonObject { ["kind"] = "local" },
        ["qmpSocketDir"] = $"{root}/{name}",
        ["storages"] = new JsonArray(new JsonObject { ["id"] = "local", ["layout"] = "directory", ["mountpoint"] = $"{root}/{name}/disks" }),
    };
}
