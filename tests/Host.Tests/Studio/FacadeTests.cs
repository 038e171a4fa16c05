using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Studio;

/// <summary>The facade under /elsa/api, as Studio calls it (shapes from the probed 3.8.2 contract).</summary>
public sealed class FacadeTests() : ServerTest(TimeSpan.FromSeconds(60))
{
    [Fact]
    public async Task Activity_descriptors_come_from_the_registry_with_categories_inputs_and_outcome_ports()
    {
        var body = await Server.Client.GetFromJsonAsync<JsonObject>("/elsa/api/descriptors/activities?Refresh=True", Timeout.Token);

        var items = body!["items"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.Equal(items.Count, body["count"]!.GetValue<int>());
        var wait = items.Single(d => d["typeName"]!.GetValue<string>() == "VmMigration.WaitConvergence");
        Assert.Equal("VM Migration", wait["category"]!.GetValue<string>());
        Assert.Equal("Wait Convergence", wait["displayName"]!.GetValue<string>());
        Assert.Equal(["Done", "TimedOut", "Failed"], wait["ports"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        var timeout = wait["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "timeoutSeconds")!;
        Assert.Equal("Timeout Seconds", timeout["displayName"]!.GetValue<string>());
        Assert.StartsWith("Longest time to wait", timeout["description"]!.GetValue<string>());
        Assert.Equal("singleline", timeout["uiHint"]!.GetValue<string>());
        // The default the runtime applies, and its rule for 0 or less, shown in the designer.
        Assert.Equal(600, timeout["defaultValue"]!.GetValue<int>());
        Assert.EndsWith("(0 or less: 600)", timeout["description"]!.GetValue<string>());
        var strategy = items.Single(d => d["typeName"]!.GetValue<string>() == "VmMigration.BitmapMirror")["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "strategy")!;
        Assert.Equal(("dropdown", "Auto"), (strategy["uiHint"]!.GetValue<string>(), strategy["defaultValue"]!.GetValue<string>()));
        Assert.Equal(["Auto", "Native", "BackupPasses"], strategy["uiSpecifications"]!["dropdown"]!["items"]!.AsArray().Select(o => o!["value"]!.GetValue<string>()));
        var outcomes = items.Single(d => d["typeName"]!.GetValue<string>() == "Elsa.Complete")["inputs"]!.AsArray().Single()!;
        Assert.Equal(("outcome-picker", "[\"Done\"]"), (outcomes["uiHint"]!.GetValue<string>(), outcomes["defaultValue"]!.GetValue<string>()));
        Assert.Contains(items, d => d["typeName"]!.GetValue<string>() == "VmMigration.BitmapMirror" && d["category"]!.GetValue<string>() == "VM Migration");
        var flowchart = items.Single(d => d["typeName"]!.GetValue<string>() == "Elsa.Flowchart");
        Assert.True(flowchart["isContainer"]!.GetValue<bool>());
        Assert.Contains(items, d => d["typeName"]!.GetValue<string>() == "Elsa.Delay");
        // Elsa's core activities, with Elsa's categories and display names, from the same registry.
        var parallelForEach = items.Single(d => d["typeName"]!.GetValue<string>() == "Elsa.ParallelForEach");
        Assert.Equal("Looping", parallelForEach["category"]!.GetValue<string>());
        Assert.Equal("Parallel For Each", parallelForEach["displayName"]!.GetValue<string>());
        Assert.Equal("Set Output", items.Single(d => d["typeName"]!.GetValue<string>() == "Elsa.SetOutput")["displayName"]!.GetValue<string>());
        Assert.Equal("Composition", items.Single(d => d["typeName"]!.GetValue<string>() == "Elsa.Complete")["category"]!.GetValue<string>());
        Assert.Equal(["Default"], items.Single(d => d["typeName"]!.GetValue<string>() == "Elsa.FlowSwitch")["ports"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Expression_descriptors_offer_only_what_the_runtime_executes()
    {
        var body = await Server.Client.GetFromJsonAsync<JsonObject>("/elsa/api/descriptors/expression-descriptors", Timeout.Token);

        var types = body!["items"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["Input", "JavaScript", "Json", "Literal", "Object", "Variable"], types);
    }

    [Fact]
    public async Task Publishing_an_invalid_draft_is_refused_with_the_validation_messages()
    {
        var model = JsonNode.Parse(TestWorkflows.Invalid("studio-broken"))!.AsObject();

        var saved = await Server.Client.PostAsJsonAsync("/elsa/api/workflow-definitions", new JsonObject { ["model"] = model.DeepClone(), ["publish"] = false }, Timeout.Token);
        var published = await Server.Client.PostAsJsonAsync("/elsa/api/workflow-definitions", new JsonObject { ["model"] = model.DeepClone(), ["publish"] = true }, Timeout.Token);

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode); // a draft may be incomplete
        var draft = (await saved.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token))!["workflowDefinition"]!;
        Assert.Contains(draft["links"]!.AsArray(), l => l!["rel"]!.GetValue<string>() == "publish"); // editable
        Assert.Equal("Workflow1:flowchart1:start1", draft["root"]!["activities"]![0]!["nodeId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, published.StatusCode);
        Assert.Equal("application/problem+json", published.Content.Headers.ContentType?.MediaType);
        var errors = (await published.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token))!["errors"]!.AsArray()
            .Select(e => e!["errorMessage"]!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.Contains("Elsa.WriteLin"));
        Assert.Null(await Server.Services.GetRequiredService<IWorkflowDefinitionStore>().GetPublishedAsync("studio-broken", Timeout.Token));
    }

    [Fact]
    public async Task An_auto_save_keeps_the_input_properties_Studio_does_not_carry_unless_the_input_was_retyped()
    {
        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(Elsa.Migration.Lab.MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), Timeout.Token))!.AsObject();
        await Server.Client.PostAsync("/api/definitions", new StringContent(shipped.ToJsonString(), Encoding.UTF8, "application/json"), Timeout.Token);
        // What Studio 3.8.2 posts: its typed input model has no isRequired, defaultValue or typeName.
        var model = shipped.DeepClone().AsObject();
        foreach (var input in model["inputs"]!.AsArray().OfType<JsonObject>())
        {
            input.Remove("isRequired");
            input.Remove("defaultValue");
            input.Remove("typeName");
            input["storageDriverTypeName"] = null;
        }
        var retyped = model["inputs"]!.AsArray().OfType<JsonObject>().Single(i => i["name"]!.GetValue<string>() == "DiskBandwidth");
        retyped["type"] = "String";

        var saved = await Server.Client.PostAsJsonAsync("/elsa/api/workflow-definitions", new JsonObject { ["model"] = model, ["publish"] = false }, Timeout.Token);

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var latest = await Server.Services.GetRequiredService<IWorkflowDefinitionStore>().GetLatestAsync("live-migrate", Timeout.Token);
        Assert.Equal(2, latest!.Version);
        var inputs = JsonNode.Parse(latest.Json)!["inputs"]!.AsArray().OfType<JsonObject>().ToDictionary(i => i["name"]!.GetValue<string>());
        Assert.True(inputs["VmId"]["isRequired"]?.GetValue<bool>() == true, $"VmId lost isRequired: {inputs["VmId"].ToJsonString()}");
        Assert.Equal("String", inputs["VmId"]["typeName"]!.GetValue<string>());
        Assert.Null(inputs["DiskBandwidth"]["defaultValue"]); // retyped: the old Int64 default does not apply
        Assert.Null(inputs["DiskBandwidth"]["isRequired"]);
    }

    [Fact]
    public async Task The_instance_list_and_viewer_endpoints_describe_a_run_started_from_the_editor()
    {
        await Server.Client.PostAsync("/api/definitions", new StringContent(TestWorkflows.Delaying("viewer-flow", "00:05:00"), Encoding.UTF8, "application/json"), Timeout.Token);

        var run = await Server.Client.PostAsJsonAsync("/elsa/api/workflow-definitions/viewer-flow/execute",
            new JsonObject { ["versionOptions"] = "Latest" }, Timeout.Token);
        var instanceId = run.Headers.GetValues("x-elsa-workflow-instance-id").Single();
        var runtime = Server.Services.GetRequiredService<Engine.Runtime.IWorkflowRuntime>();
        await runtime.WaitForIdleAsync(instanceId, Timeout.Token);

        var list = await (await Server.Client.PostAsJsonAsync("/elsa/api/workflow-instances", new JsonObject { ["page"] = 0, ["pageSize"] = 10 }, Timeout.Token))
            .Content.ReadFromJsonAsync<JsonObject>(Timeout.Token);
        var row = list!["items"]!.AsArray().Single()!;
        Assert.Equal(1, list["totalCount"]!.GetValue<int>());
        Assert.Equal("Suspended", row["subStatus"]!.GetValue<string>());
        var versions = await Server.Client.GetFromJsonAsync<JsonObject>(
            $"/elsa/api/workflow-definitions?versionOptions=&Ids={Uri.EscapeDataString(row["definitionVersionId"]!.GetValue<string>())}", Timeout.Token);
        Assert.Single(versions!["items"]!.AsArray());
        var report = await (await Server.Client.PostAsJsonAsync("/elsa/api/activity-executions/report", new JsonObject
        {
            ["workflowInstanceId"] = instanceId,
            ["activityNodeIds"] = new JsonArray("Workflow1:flowchart1:hello1", "Workflow1:flowchart1:delay1"),
        }, Timeout.Token)).Content.ReadFromJsonAsync<JsonObject>(Timeout.Token);
        var stats = report!["stats"]!.AsArray().ToDictionary(s => s!["activityId"]!.GetValue<string>());
        Assert.Equal(1, stats["hello1"]!["completedCount"]!.GetValue<int>());
        Assert.True(stats["delay1"]!["isBlocked"]!.GetValue<bool>());
        var journal = await (await Server.Client.PostAsJsonAsync($"/elsa/api/workflow-instances/{instanceId}/journal?skip=0&take=50", new JsonObject
        {
            ["filter"] = new JsonObject { ["excludedActivityTypes"] = new JsonArray("Elsa.Workflow", "Elsa.Flowchart") },
        }, Timeout.Token)).Content.ReadFromJsonAsync<JsonObject>(Timeout.Token);
        Assert.Contains(journal!["items"]!.AsArray(), j => j!["nodeId"]!.GetValue<string>() == "Workflow1:flowchart1:delay1" && j["eventName"]!.GetValue<string>() == "Suspended");
        Assert.DoesNotContain(journal["items"]!.AsArray(), j => j!["activityType"]!.GetValue<string>() == "Elsa.Workflow");
    }
}
