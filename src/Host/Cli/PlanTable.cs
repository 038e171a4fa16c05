using System.Globalization;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Preflight;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// The dry run's plan as text (Spectre.Console tables, no colours, written through the CLI's control-character-escaping
/// output): per disk kind, strategy, bytes to send, target space before and after; RAM; times; every refusal.
/// </summary>
internal static class PlanTable
{
    public static void Write(PreflightReport report, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        console.WriteLine($"Plan: VM {report.VmId} from {report.SourceNode ?? "?"} to {report.TargetNode} (site {report.Site ?? "?"}): " +
                          (report.CanRun ? "can run" : $"REFUSED ({report.Refusals.Count})"));
        if (report.Estimate is { } estimate)
        {
            console.Write(Disks(estimate));
            console.Write(Figures(report, estimate));
        }
        else if (report.Endpoints is not null || report.Strategy is not null)
            console.Write(Figures(report, null));
        if (report.Refusals.Count > 0)
        {
            var refusals = new Table { Border = TableBorder.Simple }.AddColumn("Refused by").AddColumn("Reason");
            foreach (var refusal in report.Refusals)
                refusals.AddRow(Plain(refusal.Check), Plain(refusal.Message));
            console.Write(refusals);
        }
        foreach (var note in report.Notes)
            console.WriteLine("Note: " + note);
        console.WriteLine($"Preflight took {report.ElapsedMs:0} ms; nothing was changed.");
    }

    private static Table Disks(MigrationEstimate estimate)
    {
        var table = new Table { Border = TableBorder.Simple };
        foreach (var column in new[] { "Disk", "Kind", "Strategy", "ZFS stream", "Copy", "To send", "Target free", "Free after", "Estimated from" })
            table.AddColumn(column);
        foreach (var d in estimate.Disks)
            table.AddRow(Plain(d.DeviceId), Plain(d.Kind + (d.Attached ? "" : " (unused)")), Plain(d.Strategy), Plain(Bytes(d.ZfsStreamBytes)),
                Plain(Bytes(d.CopyBytes)), Plain(Bytes(d.BytesToSend)), Plain(Bytes(d.TargetAvailableBytes)), Plain(Bytes(d.TargetAfterBytes)),
                Plain(d.ZfsEstimateMethod ?? (d.Kind == MigrationDiskKind.Shared ? "" : "disk size")));
        return table;
    }

    private static Table Figures(PreflightReport report, MigrationEstimate? e)
    {
        var table = new Table { Border = TableBorder.Simple, ShowHeaders = false }.AddColumn("").AddColumn("");
        if (e is not null)
        {
            table.AddRow(Plain("RAM"), Plain($"{Bytes(e.RamBytes)}, dirtied at {Bytes(e.RamDirtyBytesPerSecond)}/s (sampled {e.DirtyRateSampleSeconds} s)"));
            table.AddRow(Plain("Link rate"), Plain($"{Bytes((long)e.LinkBytesPerSecond)}/s, {e.LinkRateSource}" +
                                                   (e.LinkRateMeasuredAt is { } at ? " " + at.ToString("u", CultureInfo.InvariantCulture) : "")));
            table.AddRow(Plain("To send"), Plain(Bytes(e.BytesToSend)));
            table.AddRow(Plain("Estimated time"), Plain($"disks {Seconds(e.CopySeconds)}, RAM {Seconds(e.RamSeconds)}, downtime {e.DowntimeMs:0} ms, " +
                                                        $"total {Seconds(e.TotalSeconds)}"));
        }
        if (report.Strategy is not null) table.AddRow(Plain("Bitmap copy"), Plain(report.Strategy));
        if (report.SourceQemuVersion is not null)
            table.AddRow(Plain("QEMU"), Plain($"source {report.SourceQemuVersion}, target {report.TargetQemuVersion}, machine {report.Machine}, accel {report.Accelerator}"));
        if (report.Endpoints is not null) table.AddRow(Plain("Endpoints"), Plain(report.Endpoints));
        return table;
    }

    // Text, never markup: names and messages may hold '[' and ']'.
    private static IRenderable Plain(string text) => new Text(text);

    private static string Seconds(double? seconds) => seconds is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "does not converge";

    private static string Bytes(long? bytes) => bytes switch
    {
        null => "",
        < 1L << 10 => $"{bytes} B",
        < 1L << 20 => (bytes.Value / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1L << 30 => (bytes.Value / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes.Value / 1073741824.0).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };
}
