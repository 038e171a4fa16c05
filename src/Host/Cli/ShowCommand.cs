using System.CommandLine;
using System.Text.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>show ID</c>: an instance's status, variables, bookmarks, journal and ledger.</summary>
internal static class ShowCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(Option<string?> database)
    {
        var id = new Argument<string>("id") { Description = "The instance id (see `instances`)." };
        var command = new Command("show", "Show an instance: status, variables, bookmarks, journal and ledger.") { id };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse.GetValue(database));
            var instanceId = parse.GetValue(id)!;
            var instances = services.GetRequiredService<IWorkflowInstanceStore>();
            var instance = await instances.GetAsync(instanceId, cancellationToken);
            if (instance is null)
            {
                await Console.Error.WriteLineAsync($"No instance '{instanceId}' in this database: list them with `instances`.");
                return 1;
            }
            var output = Console.Out;
            output.WriteLine($"Instance   {instance.Id}");
            output.WriteLine($"Definition {instance.DefinitionName} ({instance.DefinitionId} v{instance.DefinitionVersion})");
            output.WriteLine($"Status     {instance.Status}");
            var outcome = await ActivatorUtilities.CreateInstance<MigrationOutcomeReader>(services).ReadAsync(instance.Id, instance.Status, instance.Error, cancellationToken);
            if (outcome is not null) output.WriteLine($"Outcome    {outcome.Name}{(outcome.Reason is { } reason ? ": " + reason : "")}");
            output.WriteLine($"Created    {instance.CreatedAt:O}");
            output.WriteLine($"Updated    {instance.UpdatedAt:O}");
            if (instance.FinishedAt is { } finished) output.WriteLine($"Ended      {finished:O}");
            if (instance.CorrelationId is { } correlation) output.WriteLine($"Correlation {correlation}");
            if (instance.Error is { } error) output.WriteLine($"Error      {error}");
            output.WriteLine("Variables");
            output.WriteLine("  " + instance.Variables.ToJsonString(Indented).Replace("\n", "\n  "));
            output.WriteLine("Bookmarks");
            foreach (var bookmark in await instances.GetBookmarksAsync(instanceId, cancellationToken))
                output.WriteLine($"  {bookmark.Id} {bookmark.Name} on {bookmark.ActivityId}{(bookmark.ResumeAt is { } at ? $" resumes at {at:O}" : "")}");
            output.WriteLine("Journal");
            foreach (var entry in await services.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, int.MaxValue, cancellationToken))
                output.WriteLine("  " + entry);
            output.WriteLine("Ledger");
            foreach (var entry in await services.GetRequiredService<ILedgerStore>().ListAsync(instanceId, cancellationToken))
                output.WriteLine($"  #{entry.Id} {entry.Kind} {entry.Name} on {entry.Node} by {entry.ActivityId}, created {entry.CreatedAt:O}" +
                                 (entry.ReleasedAt is { } released ? $", released {released:O}" : ", NOT released"));
            return 0;
        });
        return command;
    }
}
