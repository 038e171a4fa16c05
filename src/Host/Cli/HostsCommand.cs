using System.CommandLine;
using System.Globalization;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// <c>hosts</c>: the processes that execute instances on this database (<c>runtime_hosts</c>: each <c>serve</c>, each
/// running <c>run</c> or <c>recover</c>), with their lease age and how many Running instances each holds. A process
/// whose last renewal is older than the lease duration is shown as expired: it died without a clean stop, and a live
/// <c>serve</c> takes its instances over.
/// </summary>
internal static class HostsCommand
{
    public static Command Create(Option<string?> database)
    {
        var all = new Option<bool>("--all") { Description = "Also list processes whose lease expired (they died without a clean stop)." };
        var command = new Command("hosts", "List the live processes (serve, run, recover) that execute instances on this database: " +
            "lease age (time since their last renewal) and how many Running instances each holds. Expiry: the engine's lease duration, " +
            "10 s unless Leases__Duration says otherwise.") { all };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = CliServices.Build(parse.GetValue(database));
            var duration = new ConfigurationBuilder().AddEnvironmentVariables().Build().GetValue<TimeSpan?>("Leases:Duration")
                ?? services.GetRequiredService<MigrationEngineOptions>().LeaseDuration;
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var rows = await services.GetRequiredService<IInstanceLeaseStore>().ListHostsAsync(cancellationToken);
            var live = rows.Where(r => LeaseRules.HostIsLive(r, now, duration)).ToList();
            var shown = parse.GetValue(all) ? rows : live;
            Console.Out.WriteLine($"{"HOST",-40}  {"MACHINE",-20}  {"PID",8}  {"LEASE AGE",9}  {"STATE",-7}  {"INSTANCES",9}  STARTED (UTC)");
            foreach (var row in shown)
            {
                var age = now - row.RenewedAt;
                Console.Out.WriteLine($"{row.Id,-40}  {row.HostName,-20}  {row.Pid,8}  {Seconds(age),9}  {(LeaseRules.HostIsLive(row, now, duration) ? "live" : "expired"),-7}  {row.Instances,9}  {row.StartedAt:yyyy-MM-dd HH:mm:ss}");
            }
            Console.Out.WriteLine($"{live.Count} live host(s), holding {live.Sum(r => r.Instances)} Running instance(s)" +
                (rows.Count > live.Count ? $"; {rows.Count - live.Count} expired (--all lists them)." : "."));
            return 0;
        });
        return command;
    }

    private static string Seconds(TimeSpan age) => Math.Max(0, age.TotalSeconds).ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
