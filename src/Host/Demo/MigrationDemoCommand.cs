using System.CommandLine;

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
        command.SetAction(async (parse, _) =>
        {
            // Ctrl-C: roll back and clean up instead of dying with the lab half built (the CLI disables the default handling).
            using var interrupted = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                interrupted.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                return parse.GetValue(noGuest)
                    ? await new MigrationDemo().RunAsync(interrupted.Token)
                    : await new RealGuestDemo().RunAsync(interrupted.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return command;
    }
}
