using System.Diagnostics;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Lab;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>What a writer wrote while the RAM migrated: its count when the source reports the migration's <c>setup</c>
/// and when it reports <c>pre-switchover</c>, read on QMP's event reader.</summary>
internal sealed class RamWindowWrites : IDisposable
{
    private readonly IDisposable _subscription;
    private (long Bytes, long At)? _start, _end;

    public RamWindowWrites(QmpSession source, GuestLikeWriter writer) =>
        _subscription = source.Client.Subscribe(e =>
        {
            if (e is MigrationEvent { Status: MigrationStatus.Setup }) _start ??= (writer.BytesWritten, Stopwatch.GetTimestamp());
            else if (e is MigrationEvent { Status: MigrationStatus.PreSwitchover }) _end ??= (writer.BytesWritten, Stopwatch.GetTimestamp());
        });

    /// <summary>Bytes per second written between the two events (0 when either was not seen).</summary>
    public double Rate => _start is { } s && _end is { } e && e.At > s.At
        ? (e.Bytes - s.Bytes) / Stopwatch.GetElapsedTime(s.At, e.At).TotalSeconds
        : 0;

    public void Dispose() => _subscription.Dispose();
}
