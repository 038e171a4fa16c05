using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Host.Scheduling;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>schedule add|list|runs|delete</c>: schedules in the database; a running server picks changes up within
/// Scheduling:SyncInterval (10 s by default).</summary>
public static class ScheduleCommand
{
    public static Command Create(Option<string?> db)
    {
        var command = new Command("schedule", "Schedule migrations: one-shot (--at) or recurring (--cron), with an explicit misfire policy.");
        command.Subcommands.Add(Add(db));
        command.Subcommands.Add(List(db));
        command.Subcommands.Add(Runs(db));
        command.Subcommands.Add(Delete(db));
        return command;
    }

    private static Command Add(Option<string?> db)
    {
        var definition = new Argument<string>("DEFINITION") { Description = "The definition id (its published version runs)." };
        var at = new Option<DateTimeOffset?>("--at") { Description = "One-shot: when, ISO 8601 (e.g. 2026-12-05T02:00:00+01:00)." };
        var cron = new Option<string?>("--cron") { Description = "Recurring: Quartz cron with seconds, e.g. '0 0 2 ? * SAT'." };
        var timeZone = new Option<string?>("--time-zone") { Description = "IANA time zone of --cron (default UTC)." };
        var inputs = new Option<string[]>("--input") { Description = "A workflow input, name=value (repeatable), e.g. --input VmId=101.", AllowMultipleArgumentsPerToken = false };
        var misfire = new Option<string>("--misfire") { Description = "skip (default): a window missed while the host was down does not start late; run-if-late: it does, within --window.", DefaultValueFactory = _ => "skip" };
        misfire.AcceptOnlyFromAmong("skip", "run-if-late");
        var window = new Option<TimeSpan?>("--window") { Description = "With --misfire run-if-late: how late a missed fire may still start (e.g. 00:30:00)." };
        var command = new Command("add", "Add a schedule.") { definition, at, cron, timeZone, inputs, misfire, window };
        command.SetAction(async (result, cancellationToken) =>
        {
            var values = new JsonObject();
            foreach (var pair in result.GetValue(inputs) ?? [])
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0)
                {
                    Console.Error.WriteLine($"--input '{pair}' is not name=value.");
                    return 2;
                }
                values[pair[..eq]] = pair[(eq + 1)..];
            }
            var request = new CreateScheduleRequest(result.GetValue(definition)!, values, result.GetValue(at), result.GetValue(cron), result.GetValue(timeZone),
                result.GetValue(misfire) == "run-if-late" ? MisfirePolicy.RunIfLate : MisfirePolicy.Skip, result.GetValue(window));
            var now = DateTimeOffset.UtcNow;
            var problems = ScheduleService.Validate(request, now, TimeSpan.FromSeconds(30));
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                    Console.Error.WriteLine(problem);
                return 2;
            }
            await using var services = HostCliServices.Build(result.GetValue(db));
            await services.GetRequiredService<Server.HostSchema>().EnsureAsync(cancellationToken);
            var schedule = request.ToSchedule(now);
            await services.GetRequiredService<ScheduleStore>().AddAsync(schedule, cancellationToken);
            Console.WriteLine($"Added schedule {schedule.Id} ({(schedule.Kind == ScheduleKind.Once ? "at " + schedule.FireAt!.Value.ToString("O", CultureInfo.InvariantCulture) : "cron " + schedule.Cron)}, misfire {schedule.Misfire}).");
            return 0;
        });
        return command;
    }

    private static Command List(Option<string?> db)
    {
        var command = new Command("list", "List schedules.");
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var services = HostCliServices.Build(result.GetValue(db));
            await services.GetRequiredService<Server.HostSchema>().EnsureAsync(cancellationToken);
            foreach (var s in await services.GetRequiredService<ScheduleStore>().ListAsync(cancellationToken))
                Console.WriteLine($"{s.Id}  {s.DefinitionId}  {(s.Kind == ScheduleKind.Once ? "at " + s.FireAt?.ToString("O", CultureInfo.InvariantCulture) : "cron '" + s.Cron + "'")}  " +
                                  $"misfire={s.Misfire}{(s.Misfire == MisfirePolicy.RunIfLate ? "(" + s.MisfireWindow.ToString("g", CultureInfo.InvariantCulture) + ")" : "")}  " +
                                  $"inputs={s.Inputs.ToJsonString()}{(s.Completed ? "  (done)" : "")}{(s.BrokenReason is null ? "" : "  BROKEN: " + s.BrokenReason)}");
            return 0;
        });
        return command;
    }

    private static Command Runs(Option<string?> db)
    {
        var id = new Argument<string>("ID") { Description = "The schedule id." };
        var command = new Command("runs", "What happened at each fire time of a schedule.") { id };
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var services = HostCliServices.Build(result.GetValue(db));
            await services.GetRequiredService<Server.HostSchema>().EnsureAsync(cancellationToken);
            foreach (var r in await ScheduleRunView.ListAsync(result.GetValue(id)!, services.GetRequiredService<ScheduleStore>(),
                         services.GetRequiredService<Engine.Persistence.IWorkflowInstanceStore>(), services.GetRequiredService<Server.MigrationOutcomeReader>(), cancellationToken))
                Console.WriteLine($"{r.ScheduledFor:O}  {r.Outcome}  {r.InstanceId}  {r.MigrationOutcome ?? r.InstanceStatus}  {r.Message ?? r.MigrationReason}");
            return 0;
        });
        return command;
    }

    private static Command Delete(Option<string?> db)
    {
        var id = new Argument<string>("ID") { Description = "The schedule id." };
        var command = new Command("delete", "Delete a schedule (its run history stays).") { id };
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var services = HostCliServices.Build(result.GetValue(db));
            await services.GetRequiredService<Server.HostSchema>().EnsureAsync(cancellationToken);
            var deleted = await services.GetRequiredService<ScheduleStore>().DeleteAsync(result.GetValue(id)!, cancellationToken);
            Console.WriteLine(deleted ? "Deleted." : "No such schedule.");
            return deleted ? 0 : 1;
        });
        return command;
    }
}
