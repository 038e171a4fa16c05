using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Host.Tests.Cli;
using Elsa.Migration.Host.Tests.Recovery;
using Elsa.Migration.Lab;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Preflight;

/// <summary>
/// The dry run on a healthy lab VM: <c>plan</c> (table and <c>--json</c>) and <c>POST /api/migrations/plan</c> say it
/// can run, with the plan's disks and estimate, and change nothing on either node. The time is written to the output
/// (the README reports it), never asserted.
/// </summary>
[Collection("zfs")]
public sealed class PlanCommandTests(ITestOutputHelper output)
{
    private const string VmId = "pref1";

    [Fact(Timeout = 300_000)]
    public async Task Plan_of_a_healthy_vm_exits_0_with_the_plan_and_changes_nothing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var lab = await PreflightRefusalTests.CreateLabAsync(4L << 20, null, ct);
        var db = Path.Combine(lab.Lab.Directory, "cli.db");
        await CliMigrationRun.ImportSiteAsync(lab, db);
        var before = await LabState.CaptureAsync(lab, VmId, ct);

        var clock = Stopwatch.StartNew();
        var (exit, table, error) = await CliProcess.RunAsync(db, "--db", db, "plan", "--site", MigrationLab.SiteName, "--vm", VmId, "--to", MigrationLab.Target);
        var tableMs = clock.ElapsedMilliseconds;
        output.WriteLine($"plan (table) exit {exit} in {tableMs} ms (process):\n{table}\n{error}");
        Assert.True(exit == 0, $"plan exited {exit}\n{table}\n{error}");
        Assert.Contains($"Plan: VM {VmId} from {MigrationLab.Source} to {MigrationLab.Target} (site {MigrationLab.SiteName}): can run", table);
        Assert.Contains("zfs incremental + BackupPasses", table);
        Assert.Contains("mirror", table);
        Assert.Contains("Estimated time", table);
        Assert.Equal(before, await LabState.CaptureAsync(lab, VmId, ct));

        clock.Restart();
        var (jsonExit, json, _) = await CliProcess.RunAsync(db, "--db", db, "plan", "--site", MigrationLab.SiteName, "--vm", VmId, "--to", MigrationLab.Target, "--json");
        output.WriteLine($"plan --json exit {jsonExit} in {clock.ElapsedMilliseconds} ms (process):\n{json}");
        Assert.Equal(0, jsonExit);
        var report = JsonNode.Parse(json)!;
        Assert.True(report["canRun"]!.GetValue<bool>());
        Assert.Empty(report["refusals"]!.AsArray());
        Assert.Equal(MigrationLab.Source, report["sourceNode"]!.GetValue<string>()); // found where the VM runs
        var disks = report["estimate"]!["disks"]!.AsArray();
        Assert.Equal(["Replicated", "Local"], disks.Select(d => d!["kind"]!.GetValue<string>()));
        Assert.InRange(disks[0]!["zfsStreamBytes"]!.GetValue<long>(), 4L << 20, 16L << 20); // 4 MiB in 64 KiB writes rewrite up to twice that in 128 KiB records
        Assert.Equal(32L << 20, disks[1]!["copyBytes"]!.GetValue<long>());
        Assert.True(report["estimate"]!["ramBytes"]!.GetValue<long>() > 0);
        output.WriteLine($"preflight itself: {report["elapsedMs"]} ms");
        Assert.Equal(before, await LabState.CaptureAsync(lab, VmId, ct));

        // The API answers the same report, and a malformed question with problem+json.
        await using var server = await RunningServer.StartAsync(db, token: null, cancellationToken: ct);
        var planned = await server.Client.PostAsJsonAsync("/api/migrations/plan",
            new { site = MigrationLab.SiteName, vmId = VmId, targetNode = MigrationLab.Target, sourceNode = MigrationLab.Source }, ct);
        var body = JsonNode.Parse(await planned.Content.ReadAsStringAsync(ct))!;
        Assert.True(planned.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.True(body["canRun"]!.GetValue<bool>(), body.ToJsonString());
        Assert.Equal(2, body["estimate"]!["disks"]!.AsArray().Count);
        var bad = await server.Client.PostAsJsonAsync("/api/migrations/plan", new { site = MigrationLab.SiteName }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await LabState.CaptureAsync(lab, VmId, ct));
    }
}
