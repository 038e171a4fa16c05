using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Lab;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary>
/// <c>/api/sites</c> on the real server (Kestrel, a real SQLite file): registered inventories, versioned, validated
/// before anything is stored; and the <c>Site</c> input of a migration start, which names a registered site and is never
/// opened as a path.
/// </summary>
public sealed class SiteApiTests() : ServerTest(TimeSpan.FromSeconds(90))
{
    [Fact]
    public async Task A_site_is_registered_listed_read_versioned_and_deleted()
    {
        var first = await Server.Client.PostAsJsonAsync("/api/sites", new JsonObject { ["name"] = "main", ["inventory"] = TestSites.Inventory() }, Timeout.Token);
        var second = await Server.Client.PostAsJsonAsync("/api/sites", new JsonObject { ["name"] = "main", ["inventory"] = TestSites.Inventory("/run/other") }, Timeout.Token);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal("/api/sites/main", first.Headers.Location?.OriginalString);
        Assert.Equal(2, (await second.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token))!["version"]!.GetValue<int>());
        var list = (await Server.Client.GetFromJsonAsync<JsonArray>("/api/sites", Timeout.Token))!;
        Assert.Equal("main", Assert.Single(list)!["name"]!.GetValue<string>());
        var latest = (await Server.Client.GetFromJsonAsync<JsonObject>("/api/sites/main", Timeout.Token))!;
        Assert.Equal(2, latest["version"]!.GetValue<int>());
        Assert.Equal("/run/other/lab-a", latest["inventory"]!["nodes"]![0]!["qmpSocketDir"]!.GetValue<string>());
        var v1 = (await Server.Client.GetFromJsonAsync<JsonObject>("/api/sites/main?version=1", Timeout.Token))!;
        Assert.Equal("/run/elsa-test-site/lab-a", v1["inventory"]!["nodes"]![0]!["qmpSocketDir"]!.GetValue<string>());

        var deleted = await Server.Client.DeleteAsync("/api/sites/main", Timeout.Token);
        var gone = await Server.Client.GetAsync("/api/sites/main", Timeout.Token);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Client.DeleteAsync("/api/sites/main", Timeout.Token)).StatusCode);
    }

    public static TheoryData<string, string, string[]> InvalidSites => new()
    {
        { "an inventory with three problems", """{"name":"main","inventory":{"nodes":[{"name":"Bad Node","qmpSocketDir":"relative","storages":[]}],"vms":[{"id":"vm1","disks":[{"id":"d0","kind":"weird","storage":"none","volume":"v","sizeBytes":1}]}]}}""",
            ["nodes[0].name", "nodes[0].qmpSocketDir", "vms[0].disks[0]"] },
        { "a path for a name", """{"name":"../etc","inventory":{"nodes":[{"name":"a","qmpSocketDir":"/run/a","storages":[]}],"vms":[]}}""", ["The site name '../etc' is not valid"] },
        { "no inventory", """{"name":"main"}""", ["'inventory' is missing"] },
        { "an unknown field", """{"name":"main","inventory":{"nodes":[{"name":"a","qmpSocketDir":"/run/a","storages":[]}],"vms":[],"path":"/etc/passwd"}}""", ["path"] },
    };

    [Theory]
    [MemberData(nameof(InvalidSites))]
    public async Task An_invalid_site_is_refused_with_every_problem_and_nothing_is_stored(string what, string body, string[] problems)
    {
        await TestSites.RegisterAsync(Server.Client, "other", Timeout.Token);
        var before = await DatabaseDump.ReadAsync(Db.Path, Timeout.Token);

        using var response = await Server.Client.PostAsync("/api/sites", new StringContent(body, Encoding.UTF8, "application/json"), Timeout.Token);

        var text = await response.Content.ReadAsStringAsync(Timeout.Token);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var listed = JsonNode.Parse(text)!["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        foreach (var problem in problems)
            Assert.Contains(listed, p => p.Contains(problem, StringComparison.Ordinal));
        Assert.Equal(before, await DatabaseDump.ReadAsync(Db.Path, Timeout.Token));
    }

    [Fact]
    public async Task Every_site_route_needs_a_token()
    {
        using var anonymous = Server.NewClient(null);

        var responses = new[]
        {
            await anonymous.GetAsync("/api/sites", Timeout.Token),
            await anonymous.GetAsync("/api/sites/main", Timeout.Token),
            await anonymous.PostAsJsonAsync("/api/sites", new JsonObject { ["name"] = "main", ["inventory"] = TestSites.Inventory() }, Timeout.Token),
            await anonymous.DeleteAsync("/api/sites/main", Timeout.Token),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Empty((await Server.Client.GetFromJsonAsync<JsonArray>("/api/sites", Timeout.Token))!);
    }

    public static TheoryData<string, string> RefusedSites => new()
    {
        { "/etc/passwd", "Invalid site name '/etc/passwd'" },
        { "../x", "Invalid site name '../x'" },
        { "/dev/zero", "Invalid site name '/dev/zero'" },
        { "nosuch", "No site 'nosuch' is registered: register its inventory with './elsa-migrate site import FILE --name nosuch'" },
        { "", "The input Site is empty and no default site is configured" },
    };

    [Theory]
    [MemberData(nameof(RefusedSites))]
    public async Task A_start_whose_Site_is_a_path_or_unknown_is_refused_before_anything_starts(string site, string reason)
    {
        await ImportShippedAsync("live-migrate");
        await TestSites.RegisterAsync(Server.Client, "main", Timeout.Token);
        var before = await DatabaseDump.ReadAsync(Db.Path, Timeout.Token);
        var body = MigrationApiTests.Start("live-migrate", "vm1");
        body["inputs"]!["SourceNode"] = "lab-a";
        body["inputs"]!["TargetNode"] = "lab-b";
        body["inputs"]!["Site"] = site;

        using var response = await Server.Client.PostAsJsonAsync("/api/migrations", body, Timeout.Token);

        var text = await response.Content.ReadAsStringAsync(Timeout.Token);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid-site", JsonNode.Parse(text)!["code"]!.GetValue<string>());
        Assert.Contains(reason, JsonNode.Parse(text)!["detail"]!.GetValue<string>());
        Assert.Equal(before, await DatabaseDump.ReadAsync(Db.Path, Timeout.Token));
    }

    [Fact]
    public async Task A_start_without_Site_uses_the_configured_default_site()
    {
        using var db = new TempDatabase();
        await using var server = await RunningServer.StartAsync(db.Path, configuration: new Dictionary<string, string?> { ["Sites:Default"] = "main" },
            cancellationToken: Timeout.Token);
        var json = await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), Timeout.Token);
        Assert.True((await server.Client.PostAsync("/api/definitions", new StringContent(json, Encoding.UTF8, "application/json"), Timeout.Token)).IsSuccessStatusCode);
        var body = MigrationApiTests.Start("live-migrate", "vm1");
        body["inputs"]!["SourceNode"] = "lab-a";
        body["inputs"]!["TargetNode"] = "lab-b";

        var unregistered = await server.Client.PostAsJsonAsync("/api/migrations", body, Timeout.Token);
        await TestSites.RegisterAsync(server.Client, "main", Timeout.Token);
        var registered = await server.Client.PostAsJsonAsync("/api/migrations", body, Timeout.Token);

        // The default names a site like the input would: refused until it is registered, then admitted.
        Assert.Equal(HttpStatusCode.BadRequest, unregistered.StatusCode);
        Assert.Contains("No site 'main' is registered", await unregistered.Content.ReadAsStringAsync(Timeout.Token));
        Assert.True(registered.StatusCode == HttpStatusCode.Accepted, await registered.Content.ReadAsStringAsync(Timeout.Token));
    }

    private async Task ImportShippedAsync(string name)
    {
        var json = await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile($"workflows/{name}.json"), Timeout.Token);
        var response = await Server.Client.PostAsync("/api/definitions", new StringContent(json, Encoding.UTF8, "application/json"), Timeout.Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Timeout.Token));
    }
}
