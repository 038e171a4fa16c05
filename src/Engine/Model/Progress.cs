namespace Elsa.Migration.Engine.Model;

/// <summary>A progress report of long work (per-disk copy, RAM pass, convergence): journaled and streamed to observers.</summary>
/// <param name="Subject">What progresses, e.g. <c>disk vd0</c> or <c>ram</c>.</param>
/// <param name="Done">Units done so far.</param>
/// <param name="Total">Units in all (null when unknown).</param>
/// <param name="Unit">e.g. <c>bytes</c>.</param>
/// <param name="RatePerSecond">Current rate in units per second, when known.</param>
/// <param name="Message">A short human-readable line.</param>
public sealed record Progress(string Subject, long Done, long? Total, string Unit, double? RatePerSecond = null, string? Message = null);
