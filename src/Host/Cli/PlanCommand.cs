using System.CommandLine;
using System.Text.Json;
using Elsa.Migration.Activities.Migration.Preflight;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// <c>plan --site S --vm ID --to NODE [--from NODE] [--json]</c>: the dry run. Runs only Preflight (nothing changes on
/// any node, nothing is stored) and prints the plan with its estimate and every refusal. Exit 0 when the migration
/// can run, 1 with the reasons otherwise.
/// </summary>
internal static class PlanCommand
{
    public const int CanRun = 0;
    public const int Refused = 1;

    public static Command Create(Option<string?> database)
    {
        var site = new Option<string?>("--site") { Description = "The registered site (default: Sites:Default)." };
        var vm = new Option<string>("--vm") { Description = "The VM to migrate (its id in the site).", Required = true };
        var to = new Option<string>("--to") { Description = "The node the VM would move to.", Required = true };
        var from = new Option<string?>("--from") { Description = "The node the VM runs on (default: the site's node where it runs)." };
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON (the body of POST /api/migrations/plan)." };
        var command = new Command("plan", "Dry run of a migration: every check Preflight makes (nothing changes on any node), the estimated bytes and " +
            "times, every refusal. Exit 0 when the migration can run, 1 otherwise.") { site, vm, to, from, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = HostCliServices.Build(parse.GetValue(database));
            await services.GetRequiredService<HostSchema>().EnsureAsync(cancellationToken);
            var report = await services.GetRequiredService<MigrationPreflight>().RunAsync(
                new PreflightRequest(parse.GetValue(vm), parse.GetValue(from), parse.GetValue(to), parse.GetValue(site)),
                keepSourceSession: false, cancellationToken);
            if (parse.GetValue(json))
                Console.Out.WriteLine(JsonSerializer.Serialize(report, Indented));
            else
                PlanTable.Write(report, Console.Out);
            return report.CanRun ? CanRun : Refused;
        });
        return command;
    }

    private static readonly JsonSerializerOptions Indented = new(Api.ApiJson.Options) { WriteIndented = true };
}
