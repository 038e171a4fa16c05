using System.CommandLine;

namespace Elsa.Migration.Host.Demo;

/// <summary><c>demo</c>: the live-migration demo on a two-node lab (see <see cref="MigrationDemo"/>).</summary>
internal static class MigrationDemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Build a two-node lab, live-migrate a VM with a replicated disk while it writes (workflows/live-migrate.json), show progress and a summary, clean up.");
        command.SetAction(async (_, _) =>
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
                return await new MigrationDemo().RunAsync(interrupted.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return command;
    }
}
