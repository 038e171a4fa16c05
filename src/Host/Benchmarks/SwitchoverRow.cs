namespace Elsa.Migration.Host.Benchmarks;

/// <summary>
/// One migration of the switchover benchmark: the product's (with its instance id) or the bare-QMP baseline's, or the
/// difference of the two for one VM. <see cref="WriteRate"/> is what the writer achieved during the RAM migration
/// (bytes/s); <see cref="OnePassWrites"/> what it wrote during one backup pass (the rate times the last pass's time
/// before the follow mirror), the measure the final pass is held to; <see cref="WindowWrites"/> what it wrote on average
/// in the final pass's window (the rate times the window's time), the final pass's expected size: a single final pass
/// holds whole 64 KiB writes, so it reads 0 or 64 KiB where a pass's window holds a fraction of one on average.
/// </summary>
internal sealed record SwitchoverRow(string Run, string Vm, string? InstanceId, double WriteRate, double RamMs, long? FinalPassBytes, double? FinalPassMs,
    double? OnePassWrites, double? ReactionMs, long? DowntimeMs, double? GuestPauseMs, bool? Identical, double? WindowWrites = null)
{
    public const string Product = "product", Baseline = "bare QMP", Difference = "difference";

    /// <summary>Product minus baseline, figure by figure (null where either has none).</summary>
    public static SwitchoverRow Minus(SwitchoverRow product, SwitchoverRow baseline) => new(Difference, product.Vm, null,
        product.WriteRate - baseline.WriteRate, product.RamMs - baseline.RamMs, null, null, null,
        product.ReactionMs - baseline.ReactionMs, product.DowntimeMs - baseline.DowntimeMs, product.GuestPauseMs - baseline.GuestPauseMs, null);
}
