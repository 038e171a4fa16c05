namespace Elsa.Migration.Engine.Persistence;

/// <summary>The status of a workflow instance. Stored as its name.</summary>
public enum WorkflowStatus
{
    /// <summary>At least one activity is executing.</summary>
    Running,
    /// <summary>Nothing executes; the instance waits on bookmarks (a stimulus or a durable timer).</summary>
    Suspended,
    /// <summary>Ended normally.</summary>
    Finished,
    /// <summary>Ended by an unhandled activity fault (after its compensation ran, if the definition has one).</summary>
    Faulted,
    /// <summary>Ended by a cancel request (after its compensation ran, if the definition has one).</summary>
    Cancelled,
}

/// <summary>Helpers on <see cref="WorkflowStatus"/>.</summary>
public static class WorkflowStatusExtensions
{
    /// <summary>True for Finished, Faulted and Cancelled: the instance will never run again.</summary>
    public static bool IsTerminal(this WorkflowStatus status) =>
        status is WorkflowStatus.Finished or WorkflowStatus.Faulted or WorkflowStatus.Cancelled;
}
