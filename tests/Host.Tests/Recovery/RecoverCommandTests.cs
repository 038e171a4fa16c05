using Elsa.Migration.Host.Tests.Cli;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary><c>recover</c> without anything to recover: a real CLI process on a fresh SQLite file.</summary>
public sealed class RecoverCommandTests
{
    [Fact(Timeout = 120_000)]
    public async Task Recover_WhenNoInstanceWasLeftRunning_ShouldSaySoAndExit0()
    {
        var db = Path.Combine("/tmp", $"elsa-recover-{Guid.NewGuid():N}.db");
        try
        {
            var (exitCode, output, error) = await CliProcess.RunAsync(db, "recover", "--db", db);

            Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
            Assert.Contains("Nothing to recover: no instance was left Running.", output);
            Assert.Contains("Recovery of 0 instance(s)", output);
        }
        finally
        {
            foreach (var file in Directory.EnumerateFiles("/tmp", Path.GetFileName(db) + "*")) File.Delete(file);
        }
    }
}
