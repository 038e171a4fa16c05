using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>The two decisions of the incremental copy, table by table without QEMU: which strategy BitmapMirror
/// takes from what the source QEMU offers, and when WaitConvergence calls backup passes converged.</summary>
public sealed class CopyDecisionTests
{
    private static QmpCapabilities Qemu(bool mirrorBitmap, bool backupBitmap) => new(
        new Version(7, 2), new HashSet<string>(), new HashSet<string>(),
        mirrorBitmap ? new HashSet<string> { "job-id", "bitmap" } : new HashSet<string> { "job-id" },
        new HashSet<string>(),
        backupBitmap ? new HashSet<string> { "job-id", "bitmap" } : new HashSet<string> { "job-id" });

    [Theory]
    [InlineData(BitmapStrategy.Auto, true, true, BitmapStrategy.Native)]          // Proxmox-patched QEMU
    [InlineData(BitmapStrategy.Auto, false, true, BitmapStrategy.BackupPasses)]   // stock QEMU
    [InlineData(BitmapStrategy.Native, true, false, BitmapStrategy.Native)]
    [InlineData(BitmapStrategy.BackupPasses, true, true, BitmapStrategy.BackupPasses)] // asked for, available
    public void Choose_ShouldTakeWhatWasAskedForOrTheBestThisQemuOffers(BitmapStrategy requested, bool mirrorBitmap, bool backupBitmap, BitmapStrategy expected) =>
        Assert.Equal(expected, StrategyChoice.Choose(requested, Qemu(mirrorBitmap, backupBitmap)));

    [Theory]
    [InlineData(BitmapStrategy.Native, false, true, "Use Strategy Auto or BackupPasses")]
    [InlineData(BitmapStrategy.BackupPasses, true, false, "lacks it")]
    [InlineData(BitmapStrategy.Auto, false, false, "Refusing to fall back to a full copy")]
    public void Choose_ShouldRefuseRatherThanCopyEverything(BitmapStrategy requested, bool mirrorBitmap, bool backupBitmap, string says)
    {
        var refused = Assert.Throws<NotSupportedException>(() => StrategyChoice.Choose(requested, Qemu(mirrorBitmap, backupBitmap)));
        Assert.Contains(says, refused.Message);
        Assert.Contains("7.2", refused.Message);
    }

    [Theory]
    [InlineData(0L, null, 100, true)]             // nothing dirty: converged without a measured rate
    [InlineData(1L, null, 100, false)]            // no rate yet: one more pass tells
    [InlineData(1L, 0.0, 100, false)]             // a pass that copied nothing measured no rate
    [InlineData(10_000_000L, 100_000_000.0, 100, true)]  // 10 MB at 100 MB/s = 100 ms: exactly the budget
    [InlineData(10_000_001L, 100_000_000.0, 100, false)] // a byte over
    [InlineData(50_000_000L, 100_000_000.0, 100, false)] // 500 ms: another pass
    [InlineData(50_000_000L, 100_000_000.0, 600, true)]  // a larger budget accepts it
    public void Converged_ShouldHoldWhenTheDirtyBytesCopyWithinTheBudgetAtTheLastRate(long dirty, double? rate, int budgetMs, bool expected) =>
        Assert.Equal(expected, ConvergenceRule.Converged(dirty, rate, TimeSpan.FromMilliseconds(budgetMs)));

    private static PassLoop.PassRecord Pass(long dirty, long copied, double ms) =>
        new(DateTimeOffset.UnixEpoch, dirty, copied, TimeSpan.FromMilliseconds(ms));

    /// <summary>Four passes whose dirty bytes never shrink: each copies <paramref name="dirty"/> in <paramref name="ms"/>.</summary>
    private static PassLoop.PassRecord[] Steady(long dirty, double ms) => [Pass(dirty, dirty, ms), Pass(dirty, dirty, ms), Pass(dirty, dirty, ms), Pass(dirty, dirty, ms)];

    [Fact]
    public void WritesOutpaceCopy_ShouldGiveUpWhenWhatIsDirtyNeverShrinksAndCannotCopyWithinTheBudget()
    {
        // 40 MB dirty again after every 400 ms pass (100 MB/s copied, 100 MB/s written): 400 ms > 100 ms budget.
        var outpaced = ConvergenceRule.WritesOutpaceCopy(Steady(40_000_000, 400), 40_000_000, TimeSpan.FromMilliseconds(100));
        Assert.NotNull(outpaced);
        Assert.Equal(100_000_000, outpaced.Value.CopyRate, 1);
        Assert.Equal(100_000_000, outpaced.Value.WriteRate, 1);
    }

    [Fact]
    public void WritesOutpaceCopy_ShouldNotGiveUpOnTinyPassesThatCopyWithinTheBudget()
    {
        // Measured over SSH: 128 KiB dirty again after every 5 ms pass while another disk's throttled mirror was still
        // copying. The "rates" are latency; the disk is converged and only waits for the mirror.
        Assert.Null(ConvergenceRule.WritesOutpaceCopy(Steady(131_072, 5), 131_072, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public void WritesOutpaceCopy_ShouldNotGiveUpWhileWhatIsDirtyShrinks()
    {
        PassLoop.PassRecord[] shrinking = [Pass(40_000_000, 40_000_000, 400), Pass(30_000_000, 30_000_000, 300), Pass(20_000_000, 20_000_000, 200), Pass(15_000_000, 15_000_000, 150)];
        Assert.Null(ConvergenceRule.WritesOutpaceCopy(shrinking, 15_000_000, TimeSpan.FromMilliseconds(100)));
        Assert.Null(ConvergenceRule.WritesOutpaceCopy(Steady(40_000_000, 400)[..3], 40_000_000, TimeSpan.FromMilliseconds(100))); // too few to tell
    }
}
