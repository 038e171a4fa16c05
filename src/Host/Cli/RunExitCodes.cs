using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// <c>run</c>'s exit codes (README.md, "Outcomes"): a script may treat 0 as "the VM moved" and nothing else. A
/// procedure that moves no VM (no outcome) maps its status: 0 Finished, 1 Faulted, 2 Cancelled.
/// </summary>
internal static class RunExitCodes
{
    /// <summary>Migrated (or a non-migration procedure Finished).</summary>
    public const int Success = 0;

    /// <summary>RolledBack or Refused by Preflight (or a non-migration procedure Faulted).</summary>
    public const int Failed = 1;

    /// <summary>Cancelled by the operator and rolled back.</summary>
    public const int Cancelled = 2;

    /// <summary>Not started: invalid definition or inputs, VM busy, node at its limit.</summary>
    public const int NotStarted = 3;

    /// <summary>NeedsAttention: the rollback failed or the VM's location is unknown.</summary>
    public const int NeedsAttention = 4;

    public static int For(WorkflowStatus status, MigrationOutcome? outcome) => outcome?.Name switch
    {
        MigrationOutcomes.Migrated => Success,
        MigrationOutcomes.NeedsAttention => NeedsAttention,
        MigrationOutcomes.RolledBack => outcome.Cancelled ? Cancelled : Failed,
        MigrationOutcomes.Refused => Failed,
        _ => status switch
        {
            WorkflowStatus.Finished => Success,
            WorkflowStatus.Cancelled => Cancelled,
            _ => Failed,
        },
    };
}
