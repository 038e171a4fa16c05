using System.Globalization;
using Spectre.Console;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>Prints the switchover benchmark's rows and, below them, each target of issue 14 as met or MISSED with the figure that decides it.</summary>
internal static class SwitchoverTable
{
    /// <summary>Downtime the product may add to the bare-QMP floor; the reaction it must stay under; the final pass against one pass's writes.</summary>
    private const double DowntimeMarginMs = 10, ReactionLimitMs = 1, FinalPassFactor = 2;

    public static void Write(IAnsiConsole console, SwitchoverSettings settings, RealGuestSettings? realGuest, IReadOnlyList<SwitchoverRow> rows)
    {
        var table = new Table()
            .Title($"[bold]Switchover under writes: the product vs bare QMP ({settings.Concurrent} VM(s) at once, {settings.DiskBytes >> 20} MiB replicated disk, " +
                   $"RAM limit {Limit(settings.RamBandwidth)}" +
                   (realGuest is null ? "" : $"; real guest: {realGuest.BlocksPerSecond} x 64 KiB/s fsync'ed, RAM limit {Limit(realGuest.RamBandwidth)}") + ")[/]")
            .AddColumns("writes", "VM", "run", "instance", "RAM", "final pass", "final-pass ms", "1 pass writes", "window writes", "reaction", "downtime", "pause", "identical");
        foreach (var r in rows)
        {
            var difference = r.Run == SwitchoverRow.Difference;
            table.AddRow(Rate(r.WriteRate, difference), r.Vm, r.Run, r.InstanceId ?? "-", Number(r.RamMs, "0", " ms", difference), Bytes(r.FinalPassBytes),
                Number(r.FinalPassMs, "0.0", " ms"), Bytes((long?)r.OnePassWrites), Bytes((long?)r.WindowWrites), Number(r.ReactionMs, "0.00", " ms", difference),
                Number(r.DowntimeMs, "0", " ms", difference), Number(r.GuestPauseMs, "0", " ms", difference),
                r.Identical switch { true => "yes", false => "[red]NO[/]", null => "" });
        }
        console.Write(table);

        var products = rows.Where(r => r.Run == SwitchoverRow.Product).ToList();
        var differences = rows.Where(r => r.Run == SwitchoverRow.Difference).ToList();
        var reaction = products.Max(r => r.ReactionMs ?? double.MaxValue);
        Target(console, $"reaction to pre-switchover < {ReactionLimitMs} ms", reaction < ReactionLimitMs, $"slowest {reaction:0.00} ms");
        var addedDowntime = differences.Max(r => r.DowntimeMs ?? long.MaxValue);
        Target(console, $"downtime within +{DowntimeMarginMs} ms of bare QMP", addedDowntime <= DowntimeMarginMs,
            $"product minus bare QMP {Join(differences.Select(r => r.DowntimeMs))} ms");
        // Judged on the window's writes (what the final pass holds on average): a single final pass holds whole 64 KiB writes,
        // 0 or 64 KiB where one pass's window holds a fraction of a write. The bytes it did copy are shown beside.
        var overOnePass = products.Where(r => r.WindowWrites is not { } window || r.OnePassWrites is not { } pass || window > FinalPassFactor * pass).ToList();
        Target(console, $"final pass <= {FinalPassFactor} x one pass's writes", overOnePass.Count == 0,
            $"{products.Count - overOnePass.Count} of {products.Count} within (its window's writes / one pass's: {Ratios(products, r => r.WindowWrites)}; " +
            $"the bytes it copied / one pass's writes: {Ratios(products, r => r.FinalPassBytes)}; all runs: " +
            $"{Bytes(products.Sum(r => r.FinalPassBytes ?? 0))} copied against {Bytes((long)products.Sum(r => r.OnePassWrites ?? 0))} written in one pass each)");
        var all = rows.Where(r => r.Identical is not null).ToList();
        Target(console, "every disk identical", all.All(r => r.Identical == true), $"{all.Count(r => r.Identical == true)} of {all.Count}");
    }

    private static string Ratios(IEnumerable<SwitchoverRow> products, Func<SwitchoverRow, double?> final) =>
        string.Join(", ", products.Select(r => r.OnePassWrites is > 0 && final(r) is { } f ? (f / r.OnePassWrites.Value).ToString("0.0", CultureInfo.InvariantCulture) : "-"));

    private static void Target(IAnsiConsole console, string target, bool met, string measured) =>
        console.MarkupLine($"target {Markup.Escape(target)}: {(met ? "[green]met[/]" : "[red]MISSED[/]")} ({Markup.Escape(measured)})");

    private static string Limit(long bytesPerSecond) => bytesPerSecond > 0 ? $"{bytesPerSecond / 1000} KB/s" : "none";

    private static string Join(IEnumerable<long?> values) => string.Join(", ", values.Select(v => v?.ToString("+0;-0;0", CultureInfo.InvariantCulture) ?? "-"));

    private static string Rate(double bytesPerSecond, bool signed) =>
        (bytesPerSecond / 1e6).ToString(signed ? "+0.00;-0.00;0" : "0.00", CultureInfo.InvariantCulture) + " MB/s";

    private static string Number(double? value, string format, string unit, bool signed = false) =>
        value is { } v ? v.ToString(signed ? $"+{format};-{format};0" : format, CultureInfo.InvariantCulture) + unit : "-";

    private static string Bytes(long? bytes) => bytes is { } b ? (b / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KiB" : "-";
}
