namespace Elsa.Migration.Host.Cli;

/// <summary>Ctrl-C for the long lab commands (demo, bench): cancel the token so they roll back and clean up instead of
/// dying with the lab half built (the CLI disables the default process termination).</summary>
internal static class ConsoleInterrupt
{
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> action)
    {
        using var interrupted = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await action(interrupted.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
