using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Lab;

namespace Elsa.Migration.Host.Tests.Studio;

/// <summary>What the facade serves and answers so that Studio never shows an empty canvas or a bare refusal.</summary>
public sealed class StudioServedFormTests() : ServerTest(TimeSpan.FromSeconds(60))
{
    [Fact]
    public async Task A_list_literal_written_as_comma_text_is_served_as_the_JSON_array_Studio_parses_and_stays_as_written_in_the_export()
    {
        await TestWorkflows.ImportAsync(Server.Client, await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/sample-hello.json"), Timeout.Token), Timeout.Token);

        var served = await Server.Client.GetFromJsonAsync<JsonObject>("/elsa/api/workflow-definitions/by-definition-id/sample-hello?versionOptions=Latest", Timeout.Token);
        var export = await Server.Client.GetStringAsync("/api/definitions/sample-hello", Timeout.Token);

        var fork = served!["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == "fork")!;
        Assert.Equal("""["Wait","Decide"]""", fork["branches"]!["expression"]!["value"]!.GetValue<string>());
        Assert.Contains("\"Wait,Decide\"", export); // the stored document is unchanged
    }

    [Fact]
    public async Task A_dangling_connection_is_not_served_and_publish_problems_name_the_activity_by_display_name_and_id()
    {
        var model = JsonNode.Parse(TestWorkflows.Invalid("studio-broken"))!.AsObject();
        await Server.Client.PostAsJsonAsync("/elsa/api/workflow-definitions", new JsonObject { ["model"] = model.DeepClone(), ["publish"] = false }, Timeout.Token);

        var served = await Server.Client.GetFromJsonAsync<JsonObject>("/elsa/api/workflow-definitions/by-definition-id/studio-broken?versionOptions=Latest", Timeout.Token);
        var publish = await Server.Client.PostAsJsonAsync("/elsa/api/workflow-definitions/studio-broken/publish", new JsonObject(), Timeout.Token);

        var connections = served!["root"]!["connections"]!.AsArray();
        Assert.Single(connections); // start1 -> oops1 stays; oops1 -> ghost1 is gone
        Assert.Equal(HttpStatusCode.BadRequest, publish.StatusCode);
        var errors = (await publish.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token))!["errors"]!.AsArray().Select(e => e!["errorMessage"]!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.StartsWith("'oops1' (Elsa.WriteLin, id oops1): Unknown activity type", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Connection from 'oops1' (Elsa.WriteLin, id oops1) to 'ghost1' (no such activity)", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("line ", StringComparison.Ordinal) || e.Contains("root.activities", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_root_the_runtime_lacks_is_refused_at_create_with_the_reason_and_not_offered()
    {
        var created = await Server.Client.PostAsJsonAsync("/elsa/api/workflow-definitions", JsonNode.Parse("""
            {"model":{"definitionId":null,"name":"Machine","version":1,"root":{"id":"sm1","type":"Elsa.StateMachine","version":1,"states":[],"transitions":[]}},"publish":null}
            """), Timeout.Token);
        var status = await Server.Client.GetFromJsonAsync<JsonObject>("/studio/status", Timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        Assert.Contains("no 'Elsa.StateMachine' root activity", await created.Content.ReadAsStringAsync(Timeout.Token));
        Assert.Equal(["Elsa.Flowchart", "Elsa.Sequence"], status!["rootTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task Studio_assets_are_served_Brotli_compressed_and_fingerprinted_files_are_cached_for_good()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_framework/blazor.webassembly.js");
        request.Headers.AcceptEncoding.ParseAdd("br");
        var loader = await Server.Client.SendAsync(request, Timeout.Token);
        var boot = await Server.Client.GetStringAsync("/_framework/blazor.webassembly.js", Timeout.Token);
        var framework = Path.GetDirectoryName(MigrationLab.FindRepositoryFile("src/Host/Studio/assets/node_modules/@elsa-workflows/elsa-studio-wasm/_framework/blazor.webassembly.js"))!;
        var fingerprinted = Directory.GetFiles(framework, "Elsa.Api.Client.*.wasm").Single();
        using var wasmRequest = new HttpRequestMessage(HttpMethod.Get, "/_framework/" + Path.GetFileName(fingerprinted));
        wasmRequest.Headers.AcceptEncoding.ParseAdd("br");
        var wasm = await Server.Client.SendAsync(wasmRequest, Timeout.Token);

        Assert.Equal("br", Assert.Single(loader.Content.Headers.ContentEncoding));
        Assert.Equal("no-cache", loader.Headers.CacheControl!.ToString());
        Assert.StartsWith("text/javascript", loader.Content.Headers.ContentType!.ToString());
        Assert.True(boot.Length > 1000); // without Accept-Encoding: the plain file
        Assert.Equal("br", Assert.Single(wasm.Content.Headers.ContentEncoding));
        Assert.Equal("application/wasm", wasm.Content.Headers.ContentType!.MediaType);
        Assert.Contains("immutable", wasm.Headers.CacheControl!.ToString());
        Assert.True(wasm.Content.Headers.ContentLength < new FileInfo(fingerprinted).Length / 2);
    }

}
