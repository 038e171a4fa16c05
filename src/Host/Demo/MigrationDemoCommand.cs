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
        command.Options.Add(noGuest);
        // Ctrl-C: roll back and clean up instead of dying with the lab half built.
        command.SetAction((parse, _) => ConsoleInterrupt.RunAsync(ct => parse.GetValue(noGuest)
            ? new MigrationDemo().RunAsync(ct)
            : new RealGuestDemo().RunAsync(ct)));
        return command;
    }
}
