using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Cli;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary><c>run</c>'s exit code from the status and the outcome: 0 only when the VM moved (or a non-migration finished).</summary>
public sealed class RunExitCodesTests
{
    [Theory]
    [InlineData(WorkflowStatus.Finished, MigrationOutcomes.Migrated, false, 0)]
    [InlineData(WorkflowStatus.Faulted, MigrationOutcomes.Migrated, false, 0)]     // failed after the switchover: the VM runs on the target
    [InlineData(WorkflowStatus.Faulted, MigrationOutcomes.RolledBack, false, 1)]
    [InlineData(WorkflowStatus.Finished, MigrationOutcomes.RolledBack, false, 1)]  // an old procedure whose Rollback ends Finished
    [InlineData(WorkflowStatus.Faulted, MigrationOutcomes.RolledBack, true, 2)]    // cancelled, then the procedure's Elsa.Fault
    [InlineData(WorkflowStatus.Cancelled, MigrationOutcomes.RolledBack, true, 2)]
    [InlineData(WorkflowStatus.Faulted, MigrationOutcomes.Refused, false, 1)]      // Preflight refused: nothing was created
    [InlineData(WorkflowStatus.Faulted, MigrationOutcomes.NeedsAttention, false, 4)]
    [InlineData(WorkflowStatus.Cancelled, MigrationOutcomes.NeedsAttention, true, 4)]
    [InlineData(WorkflowStatus.Finished, null, false, 0)]                          // a procedure that moves no VM
    [InlineData(WorkflowStatus.Faulted, null, false, 1)]
    [InlineData(WorkflowStatus.Cancelled, null, false, 2)]
    public void For_ShouldMapTheOutcomeFirstAndTheStatusOnlyWithoutOne(WorkflowStatus status, string? outcome, bool cancelled, int exitCode) =>
        Assert.Equal(exitCode, RunExitCodes.For(status, outcome is null ? null : new MigrationOutcome(outcome, "reason", cancelled)));
}
