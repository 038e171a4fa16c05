using System.Text.RegularExpressions;
using Elsa.Migration.Host.Tests.Cli;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Benchmarks;

/// <summary>
/// <c>./elsa-migrate bench migration</c> as a real process with its smallest settings (real zfs-fuse, real QEMU under
/// TCG): the switchover table has a product row (with its instance id, kept in <c>--db</c>), a bare-QMP row and their
/// difference, each with numbers, and both migrations left identical disks. The figures are not judged: a benchmark.
/// </summary>
[Collection("zfs")]
public sealed partial class MigrationBenchCommandTests(ITestOutputHelper output)
{
    [Fact(Timeout = 600_000)]
    public async Task BenchMigration_WithTheSmallestSettings_ShouldPrintTheProductAndBareQmpRowsWithNumbersAndKeepTheJournals()
    {
        var db = Path.Combine(Path.GetTempPath(), $"elsa-bench-{Guid.NewGuid():N}.db");
        try
        {
            using var bench = CliProcess.Start(db, "bench", "migration", "--disk-mib", "16", "--dirty-percent", "1", "--write-rate", "1MB",
                "--vm-disk-mib", "16", "--ram-kb-per-second", "400", "--db", db);
            var exit = await bench.WaitForExitAsync(TimeSpan.FromMinutes(9));
            output.WriteLine(bench.Output);
            output.WriteLine(bench.Error);
            Assert.Equal(0, exit);

            var rows = Rows(bench.Output);
            var product = Assert.Single(rows, r => r.Contains("product"));
            var baseline = Assert.Single(rows, r => r.Contains("bare QMP"));
            var difference = Assert.Single(rows, r => r.Contains("difference"));
            // writes, VM, run, instance, RAM, final pass, final-pass ms, 1 pass writes, window writes, reaction, downtime, pause, identical
            Assert.Matches(InstanceId(), product[3]);
            Assert.Matches(Ms(), product[4]);
            Assert.Matches(@"^\d+(\.\d)? KiB$", product[5]);
            Assert.Matches(Ms(), product[6]);
            Assert.Matches(@"^\d+(\.\d)? KiB$", product[7]);
            Assert.Matches(@"^\d+(\.\d)? KiB$", product[8]);
            Assert.Matches(Ms(), product[9]);
            Assert.Matches(Ms(), product[10]);
            Assert.Matches(Ms(), product[11]);
            Assert.Equal("yes", product[12]);
            Assert.Equal("-", baseline[3]);
            Assert.Matches(Ms(), baseline[9]);
            Assert.Matches(Ms(), baseline[10]);
            Assert.Matches(Ms(), baseline[11]);
            Assert.Equal("yes", baseline[12]);
            Assert.Matches(Ms(), difference[10]);
            Assert.Matches(Ms(), difference[11]);
            Assert.Contains("target final pass <= 2 x one pass's writes:", bench.Output);
            Assert.Contains("target downtime within +10 ms of bare QMP:", bench.Output);

            // The product's journal outlived the lab: `show` finds the instance in --db with ResumeTarget's report.
            var (showExit, shown, _) = await CliProcess.RunAsync(db, "show", product[3]);
            Assert.Equal(0, showExit);
            Assert.Contains("QEMU downtime", shown);
        }
        finally
        {
            foreach (var file in new[] { db, db + "-wal", db + "-shm" }) File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--write-rate", "fast", "--write-rate 'fast' is not a rate in MB/s")]
    [InlineData("--write-rate", "1MB,0MB", "--write-rate '0MB' is not a rate in MB/s")]
    [InlineData("--concurrent", "0", "--concurrent must be at least 1.")]
    [InlineData("--guest-blocks-per-second", "0", "--guest-blocks-per-second must be at least 1.")]
    public async Task BenchMigration_WithABadSetting_ShouldRefuseBeforeBuildingALab(string option, string value, string expected)
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Path.Combine(Path.GetTempPath(), $"elsa-bench-unused-{Guid.NewGuid():N}.db"),
            "bench", "migration", option, value);

        Assert.NotEqual(0, exit);
        Assert.Contains(expected, stdout + stderr);
        Assert.DoesNotContain("preparing", stdout);
    }

    /// <summary>The cells of the table rows (Spectre draws │, or | without Unicode).</summary>
    private static List<string[]> Rows(string text) =>
        text.Split('\n').Where(l => l.TrimStart().StartsWith('│') || l.TrimStart().StartsWith('|'))
            .Select(l => l.Trim().Trim('│', '|').Split('│', '|').Select(c => c.Trim()).ToArray()).Where(c => c.Length == 13).ToList();

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex InstanceId();

    [GeneratedRegex(@"^[+-]?\d+(\.\d+)? ms$")]
    private static partial Regex Ms();
}
