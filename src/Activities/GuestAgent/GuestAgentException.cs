namespace Elsa.Migration.Activities.GuestAgent;

/// <summary>
/// A guest-agent command failed: the agent answered with an error (its <see cref="ErrorClass"/> and
/// <see cref="Description"/> are kept), the connection broke, or the reply made no sense.
/// </summary>
public class GuestAgentException : Exception
{
    public GuestAgentException(string message, string? command = null, string? errorClass = null,
        string? description = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    /// <summary>The command that failed (e.g. <c>guest-fsfreeze-freeze</c>), when one was running.</summary>
    public string? Command { get; }

    /// <summary>The agent's error class (e.g. <c>GenericError</c>), when the agent answered with an error.</summary>
    public string? ErrorClass { get; }

    /// <summary>The agent's own description of the error, when the agent answered with an error.</summary>
    public string? Description { get; }
}

/// <summary>
/// The agent did not answer in time. The command may still run in the guest later (a freeze in particular):
/// the client resynchronises before its next command, discarding the late reply.
/// </summary>
public sealed class GuestAgentTimeoutException : GuestAgentException
{
    public GuestAgentTimeoutException(string message, string command, TimeSpan timeout)
        : base(message, command)
    {
        Timeout = timeout;
    }

    /// <summary>How long the client waited.</summary>
    public TimeSpan Timeout { get; }
}
