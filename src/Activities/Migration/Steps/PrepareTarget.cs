using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Verification;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 5 (setup): creates the target volumes of local disks, starts the target QEMU with the same device ids waiting
/// for the incoming migration (<c>-incoming defer -S</c>: without <c>-S</c> it would resume by itself the moment the
/// migration completes, while its NBD exports are still open), and exports its copied disks over NBD.
/// </summary>
[Activity("VmMigration", "VM Migration", "Starts the target QEMU (-incoming defer -S) with the same devices and exports its disks over NBD.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class PrepareTarget : CodeActivity
{
    [Input(Description = "How long to wait for the target QEMU's QMP socket.", DefaultValue = 30, ZeroOrLessMeansDefault = true)]
    public Input<int>? StartTimeoutSeconds { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        var target = scope.TargetNode;
        var started = context.Time.GetTimestamp();

        foreach (var disk in plan.AttachedDisks.Where(d => d.Kind == MigrationDiskKind.Local))
        {
            var entry = await scope.RecordAsync(LedgerKinds.TargetVolume, plan.TargetNode, disk.TargetPath, TargetVolumes.Details(disk));
            await scope.ConfirmAsync(entry, await TargetVolumes.CreateAsync(target, disk, scope.Owner, scope.Token));
        }
        foreach (var disk in plan.AttachedDisks.Where(d => d.Kind == MigrationDiskKind.Replicated))
        {
            if (!await target.PathExistsAsync(disk.TargetPath, scope.Token))
                throw new InvalidOperationException($"The replica of disk {disk.DeviceId} is missing on {plan.TargetNode} ({disk.TargetPath}): run ZfsReplicate first.");
        }

        if (await target.SocketExistsAsync(plan.TargetQmpSocket, scope.Token) && await scope.TryGetTargetAsync() is not null)
            throw new InvalidOperationException($"A QEMU already answers on {plan.TargetNode}:{plan.TargetQmpSocket}: is VM {plan.VmId} running on the target already?");
        if (await QemuProcessMark.ReadAsync(target, plan.TargetPidFile, scope.Token) is { } other)
            throw new InvalidOperationException($"A QEMU (pid {other.Pid}) already runs with the pid file {plan.TargetPidFile} on {plan.TargetNode}: " +
                $"is VM {plan.VmId} running or starting there? Stop it before migrating.");
        var qemuEntry = await scope.RecordAsync(LedgerKinds.TargetQemu, plan.TargetNode, plan.TargetPidFile, new JsonObject { ["qmp"] = plan.TargetQmpSocket });
        // The arguments carry -daemonize: the target VM must outlive this process (a host restart must not kill a migrated VM).
        await target.RunAsync(new NodeCommand(plan.QemuBinary, plan.TargetQemuArgs), scope.Token);
        // The ownership mark: this pid with this start time is the QEMU this migration started (a pid can be reused).
        var process = await QemuProcessMark.ReadAsync(target, plan.TargetPidFile, scope.Token)
            ?? throw new InvalidOperationException($"The target QEMU on {plan.TargetNode} exited right after it started (no live process for {plan.TargetPidFile}): see its log.");
        await scope.ConfirmAsync(qemuEntry, process.ToJson());

        var timeout = TimeSpan.FromSeconds(context.Get(StartTimeoutSeconds));
        var qmp = await scope.TargetAsync(timeout);
        var status = await qmp.Client.QueryStatusAsync(scope.Token);
        if (status.Status != RunState.Inmigrate)
            throw new InvalidOperationException($"The target QEMU is '{status.Status}', expected 'inmigrate': it was not started with -incoming defer.");

        var exported = plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        if (exported.Count > 0)
        {
            await qmp.Client.NbdServerStartAsync(plan.NbdAddress, scope.Token);
            foreach (var disk in exported)
                await qmp.Client.BlockExportAddNbdAsync(disk.ExportName, disk.NodeName, disk.ExportName, writable: true, scope.Token);
            // What the copy passes write on the target, for VerifyDisks (Sampled); CompleteMirror clears the last-pass ones.
            await TargetWriteBitmaps.AddAsync(scope, qmp, exported);
            scope.SaveState();
        }
        var elapsed = context.Time.GetElapsedTime(started);
        await context.JournalAsync(
            $"Target QEMU ready on {plan.TargetNode} ({target.Transport.Describe()}) in {elapsed.TotalMilliseconds:0} ms; " +
            $"NBD exports: {string.Join(", ", exported.Select(d => d.ExportName))}; {plan.EndpointsDescription}",
            new JsonObject
            {
                ["pidFile"] = plan.TargetPidFile,
                ["transport"] = target.Transport.Describe(),
                ["nbd"] = Describe(plan.NbdAddress),
                ["migrationUri"] = plan.MigrationUri,
                ["tcp"] = plan.TargetTcpHost is not null,
                ["ms"] = elapsed.TotalMilliseconds,
            });
    }

    private static string Describe(SocketAddress address) => address switch
    {
        InetSocketAddress inet => $"tcp:{NetworkAddress.ForUri(inet.Host)}:{inet.Port}",
        UnixSocketAddress unix => $"unix:{unix.Path}",
        _ => address.ToString(),
    };
}
