namespace Elsa.Migration.Activities.Qemu;

/// <summary>QEMU answered a command with an error reply (<c>{"error":{"class":..,"desc":..}}</c>).</summary>
public sealed class QmpException : Exception
{
    public QmpException(string command, string errorClass, string description)
        : base($"QMP command '{command}' failed: {errorClass}: {description}")
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    /// <summary>The QMP command that failed, e.g. <c>blockdev-mirror</c>.</summary>
    public string Command { get; }

    /// <summary>QEMU's error class, e.g. <c>GenericError</c>, <c>DeviceNotFound</c>, <c>CommandNotFound</c>.</summary>
    public string ErrorClass { get; }

    /// <summary>QEMU's human readable description.</summary>
    public string Description { get; }
}

/// <summary>The QMP connection closed (QEMU exited or the socket broke) while a command was pending, or was used after it closed.</summary>
public sealed class QmpDisconnectedException : Exception
{
    public QmpDisconnectedException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A QMP command got no reply within its timeout. The connection stays usable; a late reply is ignored.</summary>
public sealed class QmpTimeoutException : TimeoutException
{
    public QmpTimeoutException(string command, TimeSpan timeout)
        : base($"QMP command '{command}' got no reply within {timeout.TotalSeconds:0.###} s; QEMU may be busy or hung (check its log).")
    {
        Command = command;
        Timeout = timeout;
    }

    public string Command { get; }
    public TimeSpan Timeout { get; }
}

/// <summary>An expected QMP event did not arrive within its timeout.</summary>
public sealed class QmpEventTimeoutException : TimeoutException
{
    public QmpEventTimeoutException(string eventDescription, TimeSpan timeout)
        : base($"QMP event {eventDescription} did not arrive within {timeout.TotalSeconds:0.###} s.")
    {
        EventDescription = eventDescription;
    }

    public string EventDescription { get; }
}
