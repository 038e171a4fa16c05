using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Spectre.Console;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>What the switchover benchmark runs: writer rates (bytes/s), the RAM migration's limit (bytes/s, 0 = QEMU's
/// default), how many VMs migrate at once, and each VM's replicated disk.</summary>
internal sealed record SwitchoverSettings(IReadOnlyList<long> WriteRates, long RamBandwidth, int Concurrent, long DiskBytes);

/// <summary>
/// The switchover under load, side by side with its floor: per writer rate, <see cref="SwitchoverSettings.Concurrent"/>
/// guest-less VMs (one replicated disk each, a steady writer, the RAM migration slowed by its bandwidth limit) migrate
/// at once with the shipped procedure, then as many fresh VMs of the same kind by <see cref="BareQmpMigration"/>; one
/// row per migration and one difference row per VM pair.
/// </summary>
internal sealed class SwitchoverBenchmark(MigrationLab lab, SwitchoverSettings settings, IAnsiConsole console)
{
    private const string Drive = "drive0", Device = "vd0";

    public async Task<IReadOnlyList<SwitchoverRow>> RunAsync(CancellationToken ct)
    {
        var procedure = await ProcedureAsync(settings.RamBandwidth, ct);
        var rows = new List<SwitchoverRow>();
        var round = 0;
        foreach (var rate in settings.WriteRates)
        {
            round++;
            console.MarkupLine($"[grey]switchover round {round}: {settings.Concurrent} VM(s), writer {rate / 1e6:0.##} MB/s: the product's migrations...[/]");
            var product = await AllAtOnceAsync($"prod{round}n", vm => ProductAsync(procedure, vm, rate, ct), ct);
            console.MarkupLine($"[grey]switchover round {round}: the bare-QMP migrations...[/]");
            var baseline = await AllAtOnceAsync($"bare{round}n", vm => BaselineAsync(vm, rate, ct), ct);
            for (var i = 0; i < product.Count; i++)
                rows.AddRange([product[i], baseline[i], SwitchoverRow.Minus(product[i], baseline[i])]);
        }
        return rows;
    }

    /// <summary>The shipped <c>workflows/live-migrate.json</c> with its RAM migration held to <paramref name="ramBandwidth"/> bytes/s (0 = QEMU's default).</summary>
    internal static async Task<string> ProcedureAsync(long ramBandwidth, CancellationToken ct)
    {
        var workflow = JsonNode.Parse(await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), ct))!.AsObject();
        WorkflowInputs.SetLiteral(workflow, "liveMigrate", "maxBandwidthBytesPerSecond", "Int64", ramBandwidth);
        return workflow.ToJsonString();
    }

    /// <summary>Prepares the VMs one by one (the lab's inventory is one file), migrates them all at once, and compares
    /// their disks once every migration ended: a <c>qemu-img compare</c> of one VM must not load the cores while another
    /// VM is paused (it did, in both kinds of run, before).</summary>
    private async Task<IReadOnlyList<SwitchoverRow>> AllAtOnceAsync(string prefix, Func<string, Task<SwitchoverRow>> migrate, CancellationToken ct)
    {
        var vms = Enumerable.Range(1, settings.Concurrent).Select(i => $"{prefix}{i}").ToList();
        foreach (var vm in vms)
        {
            await lab.CreateVmAsync(vm, [(DiskKind.Replicated, settings.DiskBytes)], ct);
            await lab.StartVmAsync(vm, ct);
        }
        var rows = await Task.WhenAll(vms.Select(migrate));
        var compared = new List<SwitchoverRow>();
        foreach (var row in rows)
        {
            var compare = await lab.CompareAsync(row.Vm, 0, ct);
            console.MarkupLine($"[grey]{row.Vm}: {Markup.Escape(compare.Output)}[/]");
            compared.Add(row with { Identical = compare.Identical });
        }
        foreach (var vm in vms) await FreeAsync(lab, vm, ct);
        return compared;
    }

    private async Task<SwitchoverRow> ProductAsync(string procedure, string vm, long rate, CancellationToken ct)
    {
        await using var writer = await lab.StartWriterAsync(vm, [(Drive, settings.DiskBytes)], ct, bytesPerSecond: rate);
        using var window = new RamWindowWrites(await lab.SessionAsync(vm, MigrationLab.Source, ct), writer);
        var id = await lab.StartMigrationAsync(procedure, vm, ct);
        var status = await lab.Runtime.WaitForEndAsync(id, ct);
        await writer.DisposeAsync();
        WarnIfStalled(vm, writer);
        var journal = ProductJournal.Finished(id, status, await lab.JournalAsync(id, ct), vm);
        var (ram, disk) = (journal.Ram, journal.Disk(Device));
        var row = new SwitchoverRow(SwitchoverRow.Product, vm, id, window.Rate, ram["ramMs"]!.GetValue<double>(), disk["finalPassBytes"]?.GetValue<long?>(),
            disk["finalPassMs"]?.GetValue<double?>(), window.Rate * journal.LastPassMs(Device) / 1000, ram["reactionMs"]?.GetValue<double?>(),
            journal.DowntimeMs, journal.GuestPauseMs, Identical: null, WindowWrites: window.Rate * journal.FinalPassWindowMs(Device) / 1000);
        console.MarkupLine($"[grey]{vm}: product, instance {id}: downtime {row.DowntimeMs} ms[/]");
        return row;
    }

    private async Task<SwitchoverRow> BaselineAsync(string vm, long rate, CancellationToken ct)
    {
        await using var writer = await lab.StartWriterAsync(vm, [(Drive, settings.DiskBytes)], ct, bytesPerSecond: rate);
        using var window = new RamWindowWrites(await lab.SessionAsync(vm, MigrationLab.Source, ct), writer);
        var result = await new BareQmpMigration(lab, vm, settings.RamBandwidth).RunAsync(ct);
        await writer.DisposeAsync();
        WarnIfStalled(vm, writer);
        console.MarkupLine($"[grey]{vm}: bare QMP: downtime {result.DowntimeMs} ms[/]");
        return new SwitchoverRow(SwitchoverRow.Baseline, vm, null, window.Rate, result.RamMs, null, null, null, result.ReactionMs,
            result.DowntimeMs, result.GuestPauseMs, Identical: null);
    }

    /// <summary>
    /// Says so when one of the writer's writes took over a second: seen in the bare flow right after its full copy (one
    /// write 26.8 s, held by zfs-fuse, likely until the transaction group with the copy synced); qemu-io holds QEMU's big
    /// lock meanwhile, so that run's RAM time, write rate and pause measure the lab's storage, not the migration.
    /// </summary>
    private void WarnIfStalled(string vm, GuestLikeWriter writer)
    {
        if (writer.SlowestWriteMs > StalledWriteMs)
            console.MarkupLine($"[yellow]{vm}: one write of the writer took {writer.SlowestWriteMs / 1000:0.0} s (the lab's storage stalled it; " +
                               "qemu-io holds QEMU's big lock while it waits, so this run's RAM time, rate and pause are not the migration's)[/]");
    }

    private const double StalledWriteMs = 1000;

    /// <summary>Frees the lab for the next round: the VM's QEMUs stopped, its datasets gone on both nodes.</summary>
    internal static async Task FreeAsync(MigrationLab lab, string vm, CancellationToken ct)
    {
        foreach (var node in new[] { MigrationLab.Source, MigrationLab.Target })
        {
            await lab.Lab.StopVmAsync(vm, node, ct);
            var dataset = lab.Lab.Inventory.ResolveDisk(vm, Drive, node).Dataset!;
            if (await lab.Lab.Zfs(node).ExistsAsync(dataset, ct)) await lab.Lab.Zfs(node).DestroyAsync(dataset, recursive: true, ct);
        }
    }
}
