using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>The one rule every undo follows: remove only what carries this migration's mark.</summary>
public sealed class OwnershipTests
{
    [Theory]
    [InlineData(false, null, "i-1", UndoVerdict.AlreadyGone)]
    [InlineData(false, "i-1", "i-1", UndoVerdict.AlreadyGone)]
    [InlineData(true, "i-1", "i-1", UndoVerdict.Remove)]
    [InlineData(true, null, "i-1", UndoVerdict.NotOurs)]        // there before us: no mark
    [InlineData(true, "i-2", "i-1", UndoVerdict.NotOurs)]       // another migration's
    [InlineData(true, "i-1", null, UndoVerdict.NotOurs)]        // an entry never confirmed cannot prove anything
    [InlineData(true, "I-1", "i-1", UndoVerdict.NotOurs)]       // marks compare exactly
    public void Decide_ShouldRemoveOnlyWhatCarriesTheExpectedMark(bool exists, string? found, string? expected, UndoVerdict verdict) =>
        Assert.Equal(verdict, Ownership.Decide(exists, found, expected));
}
