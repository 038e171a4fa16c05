using System.CommandLine;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>instances</c>: lists workflow instances, newest first.</summary>
internal static class InstancesCommand
{
    public static Command Create(Option<string?> database)
    {
        var status = new Option<WorkflowStatus?>("--status") { Description = "Only instances with this status." };
        var limit = new Option<int>("--limit") { Description = "At most this many rows.", DefaultValueFactory = _ => 50 };
        var command = new Command("instances", "List workflow instances, newest first.") { status, limit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse.GetValue(database));
            var rows = await services.GetRequiredService<IWorkflowInstanceStore>()
                .ListAsync(new InstanceQuery(parse.GetValue(status), Limit: parse.GetValue(limit)), cancellationToken);
            var outcomes = ActivatorUtilities.CreateInstance<MigrationOutcomeReader>(services);
            Console.Out.WriteLine($"{"ID",-32}  {"STATUS",-9}  {"OUTCOME",-14}  {"CREATED (UTC)",-19}  {"UPDATED (UTC)",-19}  DEFINITION");
            foreach (var row in rows)
            {
                var outcome = await outcomes.ReadAsync(row, cancellationToken);
                Console.Out.WriteLine($"{row.Id,-32}  {row.Status,-9}  {outcome?.Name ?? "-",-14}  {row.CreatedAt:yyyy-MM-dd HH:mm:ss}  {row.UpdatedAt:yyyy-MM-dd HH:mm:ss}  {row.DefinitionName} ({row.DefinitionId} v{row.DefinitionVersion})");
            }
            if (rows.Count == 0)
                Console.Out.WriteLine("(no instances)");
            return 0;
        });
        return command;
    }
}
