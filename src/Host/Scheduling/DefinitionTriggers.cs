using System.Text.Json;
using System.Text.RegularExpressions;
using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Validation;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// Triggers in a definition (Elsa's way of scheduling): a published definition whose flowchart starts with
/// <c>Elsa.Cron</c>, <c>Elsa.Timer</c> or <c>Elsa.StartAt</c> has one schedule row, id <c>trg-{definitionId}</c>, in the
/// host's schedule table (so <c>schedule list</c> shows it and the server's Quartz fires it, default misfire policy
/// Skip). Publishing replaces it; unpublishing or deleting the definition removes it. The trigger's input must be a
/// literal: a schedule is computed before any instance exists.
/// </summary>
public sealed partial class DefinitionTriggers(IServiceProvider services, TimeProvider time) : IDefinitionTriggerCheck
{
    /// <summary>The schedule id of a definition's trigger.</summary>
    public static string ScheduleId(string definitionId) => "trg-" + definitionId;

    /// <summary>The schedule a definition's start trigger asks for, or null (no trigger); <paramref name="problem"/> says
    /// why a trigger cannot be scheduled (a cron that never fires, a past date, an interval that is not a cron step).</summary>
    public static CreateScheduleRequest? Plan(WorkflowDefinition definition, IActivityRegistry registry, DateTimeOffset now, out string? problem)
    {
        problem = null;
        if (definition.Root.IsActivityRoot || FlowchartStart.Find(definition, registry) is not { } start)
            return null;
        var value = LiteralText(start);
        switch (start.Type)
        {
            case "Elsa.Cron":
                problem = value is null ? "The Cron trigger needs a literal cron expression to be scheduled." : CronSchedule.Problem(value, now);
                if (problem is not null)
                    return null;
                var cron = ToQuartzCron(value!, out problem);
                return cron is null ? null : new CreateScheduleRequest(definition.DefinitionId, null, null, cron, null);
            case "Elsa.Timer":
                var interval = value is null ? null : TryConvert<TimeSpan>(value);
                var everyCron = interval is { } i ? IntervalCron(i) : null;
                if (everyCron is null)
                    problem = $"The Timer trigger's interval '{value}' cannot be scheduled: use a whole number of seconds or minutes dividing 60, hours dividing 24, or one day (or an Elsa.Cron trigger).";
                return everyCron is null ? null : new CreateScheduleRequest(definition.DefinitionId, null, null, everyCron, null);
            case "Elsa.StartAt":
                var at = value is null ? null : TryConvert<DateTimeOffset>(value);
                if (at is null || at <= now)
                    problem = $"The StartAt trigger's time '{value}' is not a future date and time; give an ISO 8601 time after {now:O}.";
                return problem is null ? new CreateScheduleRequest(definition.DefinitionId, null, at, null, null) : null;
            default:
                return null;
        }
    }

    /// <summary>Why <paramref name="json"/>'s trigger cannot be scheduled, as a validation problem, or null.</summary>
    public ValidationProblem? Check(string json)
    {
        if (DefinitionReader.Read(json).Definition is not { } definition)
            return null;
        Plan(definition, Registry, time.GetUtcNow(), out var problem);
        return problem is null ? null : new ValidationProblem(ProblemCodes.InvalidCron, problem, "root (trigger)");
    }

    /// <summary>Makes the schedule table match the published version of <paramref name="definitionId"/>.</summary>
    public async Task SyncAsync(string definitionId, CancellationToken cancellationToken)
    {
        var store = services.GetService<ScheduleStore>();
        if (store is null)
            return;
        await services.GetRequiredService<HostSchema>().EnsureAsync(cancellationToken);
        var id = ScheduleId(definitionId);
        var triggers = services.GetService<ScheduleTriggers>();
        await store.DeleteAsync(id, cancellationToken);
        if (triggers is not null)
            await triggers.UnregisterAsync(id, cancellationToken);
        var published = await services.GetRequiredService<IWorkflowDefinitionStore>().GetPublishedAsync(definitionId, cancellationToken);
        if (published is null || DefinitionReader.Read(published.Json).Definition is not { } definition)
            return;
        var now = time.GetUtcNow();
        if (Plan(definition, Registry, now, out _) is not { } request)
            return;
        var schedule = new Schedule(id, definitionId, request.Inputs ?? [], request.Cron is null ? ScheduleKind.Once : ScheduleKind.Cron,
            request.FireAt, request.Cron, request.TimeZone, request.Misfire, TimeSpan.Zero, now, null, false);
        await store.AddAsync(schedule, cancellationToken);
        if (triggers is not null)
            await triggers.RegisterAsync(schedule, now, cancellationToken);
    }

    private IActivityRegistry Registry => services.GetRequiredService<IActivityRegistry>();

    // Elsa (Cronos) cron: 5 fields, or 6 with seconds first, weekdays 0-6 from Sunday. Quartz: seconds first, weekdays
    // 1-7 from Sunday, and one of day-of-month / day-of-week must be '?'.
    internal static string? ToQuartzCron(string expression, out string? problem)
    {
        problem = null;
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (fields.Count == 5)
            fields.Insert(0, "0");
        if (fields.Count != 6)
        {
            problem = $"The cron expression '{expression}' needs five or six fields.";
            return null;
        }
        fields[5] = Weekday().Replace(fields[5], m => ((int.Parse(m.Value) % 7) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (fields[5] == "*")
            fields[5] = "?";
        else if (fields[3] == "*")
            fields[3] = "?";
        else
        {
            problem = $"The cron expression '{expression}' restricts both the day of month and the day of week; the scheduler needs one of them to be '*'.";
            return null;
        }
        return string.Join(' ', fields);
    }

    private static string? IntervalCron(TimeSpan interval) => interval switch
    {
        { TotalSeconds: >= 1 and < 60 } when interval.TotalSeconds % 1 == 0 && 60 % interval.TotalSeconds == 0 => $"0/{interval.TotalSeconds:0} * * * * ?",
        { TotalMinutes: >= 1 and < 60 } when interval.TotalMinutes % 1 == 0 && 60 % interval.TotalMinutes == 0 => $"0 0/{interval.TotalMinutes:0} * * * ?",
        { TotalHours: >= 1 and < 24 } when interval.TotalHours % 1 == 0 && 24 % interval.TotalHours == 0 => $"0 0 0/{interval.TotalHours:0} * * ?",
        { TotalDays: 1 } => "0 0 0 * * ?",
        _ => null,
    };

    private static string? LiteralText(ActivityNode start)
    {
        var expression = start.Inputs.Values.FirstOrDefault(e => e.Type == "Literal");
        return expression?.Value is { } v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : expression?.Value?.ToJsonString();
    }

    private static T? TryConvert<T>(string text) where T : struct
    {
        try
        {
            return (T?)Engine.Expressions.ValueConverter.Convert(text, typeof(T));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Weekday();
}
