using System.CommandLine;
using Elsa.Migration.Host.Cli;

namespace Elsa.Migration.Host.Demo;

/// <summary><c>demo</c>: the live-migration demo on a two-node lab (see <see cref="MigrationDemo"/>).</summary>
internal static class MigrationDemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Build a two-node lab, live-migrate a VM with a replicated disk while it writes (workflows/live-migrate.json), show progress and a summary, clean up.");
        command.SetAction((_, _) => ConsoleInterrupt.RunAsync(ct => new MigrationDemo().RunAsync(ct)));
        return command;
    }
}
