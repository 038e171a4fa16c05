namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// The rate migrations between two nodes achieved, kept per node pair (the host keeps it in its database), so a plan's
/// time estimates come from what the site measured; a configured default until a migration has measured one.
/// </summary>
public interface ILinkRates
{
    /// <summary>The last measured rate from <paramref name="sourceNode"/> to <paramref name="targetNode"/>, else the configured default.</summary>
    Task<LinkRate> GetAsync(string sourceNode, string targetNode, CancellationToken cancellationToken);

    /// <summary>Keeps the rate a finished migration measured (bytes moved over the time it took to move them).</summary>
    Task RecordAsync(string sourceNode, string targetNode, double bytesPerSecond, string instanceId, CancellationToken cancellationToken);
}

/// <summary>A node pair's rate and where it comes from: <c>measured</c> (with when and by which instance) or <c>configured</c>.</summary>
public sealed record LinkRate(double BytesPerSecond, string Source, DateTimeOffset? MeasuredAt = null, string? InstanceId = null)
{
    /// <summary>What a site gets before it configured or measured anything: 1 Gbit/s.</summary>
    public const double DefaultBytesPerSecond = 125_000_000;

    public static LinkRate Configured(double bytesPerSecond) => new(bytesPerSecond, "configured");

    public static LinkRate Measured(double bytesPerSecond, DateTimeOffset at, string instanceId) => new(bytesPerSecond, "measured", at, instanceId);
}
