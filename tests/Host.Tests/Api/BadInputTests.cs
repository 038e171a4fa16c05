using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary>Bad input gets a 4xx <c>application/problem+json</c> answer and leaves every table of the database as it was.</summary>
public sealed class BadInputTests() : ServerTest(TimeSpan.FromSeconds(90))
{
    public static TheoryData<string, string, string, int, string> Requests => new()
    {
        { "hostile-path id", "/api/definitions", TestWorkflows.Delaying("../../etc/passwd"), 400, "definition id" },
        { "non-ASCII id", "/api/definitions", TestWorkflows.Delaying("défini-ü"), 400, "definition id" },
        { "5,000-character id", "/api/definitions", TestWorkflows.Delaying(new string('a', 5000)), 400, "definition id" },
        { "publish: yes", "/elsa/api/workflow-definitions", StudioSave(TestWorkflows.Delaying("studio-flow"), publish: "\"yes\""), 400, "'publish' must be true or false" },
        { "number for a string", "/elsa/api/workflow-definitions", StudioSave(TestWorkflows.Delaying("studio-flow").Replace("\"definitionId\":\"studio-flow\"", "\"definitionId\":5"), "false"), 400, "'model.definitionId' must be a string" },
        { "number in an id list", "/elsa/api/bulk-actions/delete/workflow-definitions/by-definition-id", """{"definitionIds":["delay-flow",5]}""", 400, "'definitionIds[1]' must be a string" },
        { "cron in year 2999", "/api/schedules", """{"definitionId":"delay-flow","cron":"0 0 0 1 1 ? 2999"}""", 400, "never fire" },
        { "vmid and VmId", "/api/migrations", """{"definitionId":"delay-flow","inputs":{"vmid":"1","VmId":"2"}}""", 400, "differ only in case" },
        { "a key twice", "/api/migrations", """{"definitionId":"delay-flow","definitionId":"typed-flow","inputs":{}}""", 400, "definitionId" },
        { "number for the definition id", "/api/migrations", """{"definitionId":5,"inputs":{}}""", 400, "JSON" },
        { "Int64 input 'abc'", "/api/migrations", """{"definitionId":"typed-flow","inputs":{"DiskBandwidth":"abc"}}""", 400, "'DiskBandwidth' must be Int64" },
        { "Int64 input '1;touch x'", "/api/migrations", """{"definitionId":"typed-flow","inputs":{"DiskBandwidth":"1;touch x"}}""", 400, "'DiskBandwidth' must be Int64" },
        { "required input missing", "/api/migrations", """{"definitionId":"typed-flow","inputs":{}}""", 400, "'DiskBandwidth' (Int64) is required" },
        { "schedule inputs vmid and VmId", "/api/schedules", """{"definitionId":"delay-flow","cron":"0 0 2 ? * SAT","inputs":{"vmid":"1","VmId":"2"}}""", 400, "" },
        { "Studio model and Model", "/elsa/api/workflow-definitions", """{"model":{"name":"a"},"Model":{"name":"b"}}""", 400, "" },
        { "Studio name and Name", "/elsa/api/workflow-definitions", StudioSave(TestWorkflows.Delaying("studio-flow").Replace("\"name\":\"studio-flow\"", "\"name\":\"a\",\"Name\":\"b\""), "false"), 400, "" },
        { "cancel of an unknown instance", "/api/migrations/no-such-instance/cancel", "", 404, "no-such-instance" },
        { "Studio cancel of an unknown instance", "/elsa/api/cancel/workflow-instances/no-such-instance", "", 404, "Not Found" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task A_bad_request_gets_a_problem_and_changes_nothing(string what, string path, string body, int status, string reason)
    {
        await ImportAsync(TestWorkflows.Delaying("delay-flow", "00:05:00"));
        await ImportAsync(Typed("typed-flow"));
        var before = await DatabaseDump.ReadAsync(Db.Path, Timeout.Token);

        using var response = await Server.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Timeout.Token);

        var text = await response.Content.ReadAsStringAsync(Timeout.Token);
        Assert.True((int)response.StatusCode == status, $"{what}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, text);
        Assert.Equal(before, await DatabaseDump.ReadAsync(Db.Path, Timeout.Token));
    }

    [Fact]
    public async Task A_valid_start_of_the_typed_flow_is_accepted()
    {
        await ImportAsync(Typed("typed-flow"));

        var response = await Server.Client.PostAsJsonAsync("/api/migrations",
            new JsonObject { ["definitionId"] = "typed-flow", ["inputs"] = new JsonObject { ["DiskBandwidth"] = "1048576" } }, Timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>The delaying flow with a required Int64 input <c>DiskBandwidth</c>.</summary>
    internal static string Typed(string definitionId)
    {
        var json = JsonNode.Parse(TestWorkflows.Delaying(definitionId, "00:05:00"))!.AsObject();
        json["inputs"] = new JsonArray(new JsonObject { ["name"] = "DiskBandwidth", ["type"] = "Int64", ["typeName"] = "Int64", ["isRequired"] = true });
        return json.ToJsonString();
    }

    private static string StudioSave(string definition, string publish) => $$"""{"model":{{definition}},"publish":{{publish}}}""";

    private async Task ImportAsync(string json)
    {
        var response = await Server.Client.PostAsync("/api/definitions", new StringContent(json, Encoding.UTF8, "application/json"), Timeout.Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Timeout.Token));
    }
}
