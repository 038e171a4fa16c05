namespace Elsa.Migration.Lab.Guest;

/// <summary>One <c>HEARTBEAT seq=N uptime=S</c> line of the guest's serial console.</summary>
/// <param name="Sequence">Blocks the writer has written and fsync'ed so far.</param>
/// <param name="UptimeSeconds">The guest's uptime when it printed the line (continuous across a live migration).</param>
/// <param name="Number">1 for the first heartbeat this console saw, then 2, 3...</param>
/// <param name="ObservedAt">When the host read the line.</param>
public sealed record GuestHeartbeat(long Sequence, double UptimeSeconds, long Number, DateTimeOffset ObservedAt);

/// <summary>The guest stopped itself (<c>ELSA-FATAL</c> on its console): the message is the guest's reason.</summary>
public sealed class GuestFatalException(string message) : Exception(message);
