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
}
