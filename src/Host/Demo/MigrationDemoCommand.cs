using System.CommandLine;
using Elsa.Migration.Host.Cli;

namespace Elsa.Migration.Host.Demo;

/// <summary><c>demo</c>: the live-migration demo on a two-node lab (see <see cref="MigrationDemo"/>).</summary>
internal static class MigrationDemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Build a two-node lab, live-migrate a VM running a real Linux guest (guest-agent freeze, VerifyDisks; " +
            "workflows/live-migrate-freeze-verify.json) while it writes, show progress and a summary, clean up.");
        var noGuest = new Option<bool>("--no-guest") { Description = "No guest OS: writes through QEMU's block layer, workflows/live-migrate.json (the earlier demo)." };
        var bandwidth = new Option<long>("--disk-bandwidth")
        {
            Description = "MiB/s each disk copy may use (the procedures' DiskBandwidth input); 0 = unlimited. A low value makes the copy visible.",
        };
        command.Options.Add(noGuest);
        command.Options.Add(bandwidth);
        // Ctrl-C: roll back and clean up instead of dying with the lab half built.
        command.SetAction((parse, _) =>
        {
            var bytesPerSecond = checked(parse.GetValue(bandwidth) * 1024 * 1024);
            if (bytesPerSecond < 0)
            {
                Console.Error.WriteLine("--disk-bandwidth must be 0 (unlimited) or a positive number of MiB/s.");
                return Task.FromResult(3);
            }
            return ConsoleInterrupt.RunAsync(ct => parse.GetValue(noGuest)
                ? new MigrationDemo(bytesPerSecond).RunAsync(ct)
                : new RealGuestDemo(bytesPerSecond).RunAsync(ct));
        });
        return command;
    }
}
