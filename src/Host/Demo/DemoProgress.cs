using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Spectre.Console;

namespace Elsa.Migration.Host.Demo;

/// <summary>Live view of a running instance: the current step, its messages, and a progress bar per copied subject.</summary>
internal static class DemoProgress
{
    /// <summary>Shows the instance's events until it ends, then returns how it ended.</summary>
    public static async Task<WorkflowStatus> ShowAsync(IAnsiConsole console, IWorkflowRuntime runtime, WorkflowEventSubscription events,
        string instanceId, CancellationToken ct)
    {
        var end = runtime.WaitForEndAsync(instanceId, ct);
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async ctx =>
            {
                var step = ctx.AddTask("step: starting", maxValue: 1);
                var bars = new Dictionary<string, ProgressTask>();
                var reader = events.Reader;
                while (!end.IsCompleted)
                {
                    var next = reader.WaitToReadAsync(ct).AsTask();
                    if (await Task.WhenAny(next, end) == end) break;
                    while (reader.TryRead(out var ev))
                    {
                        if (ev.InstanceId != instanceId) continue;
                        switch (ev)
                        {
                            case JournalAppended { Entry: { Kind: JournalKind.ActivityStarted } e }:
                                step.Description = $"step: {Markup.Escape(e.ActivityType ?? e.ActivityId ?? "")}";
                                break;
                            case JournalAppended { Entry: { Kind: JournalKind.Message } e }:
                                ctx.Refresh();
                                console.MarkupLine($"[grey]{e.At:HH:mm:ss.fff}[/] {Markup.Escape(e.ActivityId ?? "")}: {Markup.Escape(e.Message ?? "")}");
                                break;
                            case ProgressReported p when p.Progress.Total is > 0:
                                if (!bars.TryGetValue(p.Progress.Subject, out var bar))
                                    bars[p.Progress.Subject] = bar = ctx.AddTask(Markup.Escape(p.Progress.Subject), maxValue: p.Progress.Total.Value);
                                bar.MaxValue = Math.Max(p.Progress.Total.Value, p.Progress.Done);
                                bar.Value = p.Progress.Done;
                                break;
                        }
                    }
                }
                step.Description = "step: done";
                step.Value = 1;
                foreach (var bar in bars.Values) bar.Value = bar.MaxValue;
            });
        return await end;
    }
}
