namespace Elsa.Migration.Activities.Qemu;

/// <summary>Timeouts of a <see cref="QmpClient"/>.</summary>
public sealed record QmpClientOptions
{
    /// <summary>How long <c>ConnectAsync(socketPath)</c> retries while the socket does not exist or refuses (QEMU still starting).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the greeting and the <c>qmp_capabilities</c> reply.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Default per-command reply timeout; each call may override it.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A name for log lines, e.g. <c>node-a/vm100</c>.</summary>
    public string Name { get; init; } = "qmp";
}
