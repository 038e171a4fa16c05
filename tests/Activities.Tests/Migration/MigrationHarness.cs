using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// A two-node lab (real zfs-fuse pools, real QEMU under TCG) plus the real workflow runtime on a fresh SQLite file,
/// with the VmMigration activities registered: what an operator's host runs, on one machine (<see cref="MigrationLab"/>).
/// VM "vm1": drive0 replicated (replica made before the test), drive1 local, drive2 unused.
/// </summary>
internal sealed class MigrationHarness : VmLabHarness
{
    public const string VmId = "vm1";
    public const long ReplicatedSize = 64L << 20, LocalSize = 32L << 20, UnusedSize = 16L << 20;

    private MigrationHarness(MigrationLab lab, ITestOutputHelper output) : base(lab, VmId, output)
    {
    }

    /// <summary>The migration's QMP session of the VM on the source (shared with the activities through the pool).</summary>
    public Task<QmpSession> SourceSessionAsync(CancellationToken ct) => MigrationLab.SessionAsync(VmId, Source, ct);

    /// <summary>The QMP session of the VM's QEMU on the target.</summary>
    public Task<QmpSession> TargetSessionAsync(CancellationToken ct) => MigrationLab.SessionAsync(VmId, Target, ct);

    /// <summary>
    /// Builds the lab, the VM's disks with data, the initial replica of drive0 on the target, and starts the VM on the source.
    /// <paramref name="configureQemu"/> edits the VM's QEMU profile (e.g. a guest-agent socket and a serial log, files its QEMU creates).
    /// </summary>
    public static async Task<MigrationHarness> CreateAsync(ITestOutputHelper output, CancellationToken ct, LabOptions? labOptions = null,
        Func<QemuProfile, QemuProfile>? configureQemu = null)
    {
        TestTools.Require("qemu-system-x86_64", "qemu-img", "zfs-fuse", "zfs", "zpool");
        var lab = await MigrationLab.CreateAsync(new MigrationLabOptions
        {
            Lab = labOptions ?? new LabOptions(),
            ActivityAssemblies = [typeof(MigrationHarness).Assembly], // test-only activities (fault injection)
            ProgressJournalInterval = TimeSpan.FromMilliseconds(200),
        }, ct);
        var harness = new MigrationHarness(lab, output);
        return await SetUpAsync(harness, () => harness.SetUpVmAsync(configureQemu, ct));
    }

    private async Task SetUpVmAsync(Func<QemuProfile, QemuProfile>? configureQemu, CancellationToken ct)
    {
        var vm = Lab.DefineVm(VmId, (DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize), (DiskKind.Unused, UnusedSize));
        if (configureQemu is not null) vm = vm with { Qemu = configureQemu(vm.Qemu) };
        await Lab.AddVmAsync(vm, ct);
        await Lab.CreateDisksAsync(VmId, Source, ct);
        // Initial content: the whole replicated disk and part of the others, random (incompressible, and any mix-up shows).
        await DiskContent.FillRandomAsync(SourceDisk(0).Path, 0, ReplicatedSize, ct);
        await DiskContent.FillRandomAsync(SourceDisk(1).Path, 0, LocalSize / 2, ct);
        await DiskContent.FillRandomAsync(SourceDisk(2).Path, 0, UnusedSize, ct);
        // The site's replication: a full send of drive0 to the target, as the replication job would have done earlier.
        await MigrationLab.ReplicateAsync(VmId, 0, ct);
        // Writes after the replica snapshot, before the migration: ZfsReplicate's incremental send must carry them.
        await DiskContent.FillRandomAsync(SourceDisk(0).Path, 8L << 20, 2L << 20, ct);
        await MigrationLab.StartVmAsync(VmId, ct);
    }

    /// <summary>Starts a guest-like writer on the replicated and local disks of the running source VM.</summary>
    /// <summary>A writer on the replicated disk only, one write every <paramref name="pause"/>.</summary>
    public Task<GuestLikeWriter> StartReplicatedDiskWriterAsync(TimeSpan pause, CancellationToken ct) =>
        MigrationLab.StartWriterAsync(VmId, [("drive0", ReplicatedSize)], ct, pause);

    public Task<GuestLikeWriter> StartWriterAsync(CancellationToken ct) =>
        MigrationLab.StartWriterAsync(VmId, [("drive0", ReplicatedSize), ("drive1", LocalSize)], ct);

    /// <summary>The shipped workflow file, optionally edited the way a site would edit its procedure.</summary>
    public static string WorkflowJson(string fileName, Action<JsonObject>? edit = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(MigrationLab.FindRepositoryFile($"workflows/{fileName}")))!.AsObject();
        edit?.Invoke(json);
        return json.ToJsonString();
    }

    /// <summary>Sets a literal input of an activity node in a workflow document.</summary>
    public static void SetInput(JsonObject workflow, string activityId, string input, string typeName, JsonNode value) =>
        WorkflowInputs.SetLiteral(workflow, activityId, input, typeName, value);

    /// <summary>True once the runtime journaled the start of activity <paramref name="activityId"/> in any instance.</summary>
    public async Task<bool> ActivityStartedAsync(string activityId, CancellationToken ct)
    {
        foreach (var instance in await Services.GetRequiredService<IWorkflowInstanceStore>().ListIdsAsync(WorkflowStatus.Running, ct))
            if ((await Services.GetRequiredService<IJournalStore>().ReadAsync(instance, 0, 100_000, ct))
                .Any(e => e.ActivityId == activityId && e.Kind == JournalKind.ActivityStarted)) return true;
        return false;
    }

    /// <summary>True when a process whose command line names <paramref name="pidFile"/> is alive.</summary>
    public static bool QemuAlive(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return false;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited && File.ReadAllText($"/proc/{pid}/cmdline").Contains(pidFile, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// The procedure as a site that plans with GetDiskInfo instead of Preflight would have it (GetDiskInfo's Failed goes
    /// to Rollback): for the tests of what the later steps and their undo do when a check Preflight makes up front
    /// (an existing target dataset, a full target pool) is only found by them.
    /// </summary>
    public static void PlanWithGetDiskInfo(JsonObject workflow)
    {
        var root = workflow["root"]!;
        var preflight = root["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == "preflight")!;
        preflight["type"] = "VmMigration.GetDiskInfo";
        var refused = root["connections"]!.AsArray().Single(c => c!["source"]!["activity"]!.GetValue<string>() == "preflight" && c["source"]!["port"]!.GetValue<string>() == "Refused")!;
        refused["source"]!["port"] = "Failed";
        refused["target"]!["activity"] = "rollback";
    }

    /// <summary>Puts <paramref name="activity"/> on the Done connection from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static void Insert(JsonObject workflow, string from, string to, JsonObject activity)
    {
        var root = workflow["root"]!;
        var id = activity["id"]!.GetValue<string>();
        activity["nodeId"] = $"test:flow:{id}";
        activity["name"] = id;
        activity["version"] = 1;
        activity["customProperties"] = new JsonObject();
        activity["metadata"] = new JsonObject();
        root["activities"]!.AsArray().Add(activity);
        var connections = root["connections"]!.AsArray();
        var done = connections.Single(c => c!["source"]!["activity"]!.GetValue<string>() == from && c["source"]!["port"]!.GetValue<string>() == "Done")!;
        Assert.Equal(to, done["target"]!["activity"]!.GetValue<string>());
        done["target"]!["activity"] = id;
        connections.Add(new JsonObject
        {
            ["source"] = new JsonObject { ["activity"] = id, ["port"] = "Done" },
            ["target"] = new JsonObject { ["activity"] = to, ["port"] = "In" },
            ["vertices"] = new JsonArray(),
        });
    }
}
