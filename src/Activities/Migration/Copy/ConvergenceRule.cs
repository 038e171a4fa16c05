namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>
/// When backup passes of a disk have converged (WaitConvergence): nothing is dirty, or the dirty bytes would copy
/// within the downtime budget at the rate the last pass measured. Without a measured rate nothing is known, so
/// another pass runs.
/// </summary>
internal static class ConvergenceRule
{
    public static bool Converged(long dirtyBytes, double? lastPassRate, TimeSpan budget) =>
        dirtyBytes == 0 || (lastPassRate is > 0 and var rate && dirtyBytes / rate <= budget.TotalSeconds);

    /// <summary>How many passes in a row must show the guest writing at least as fast as the copy before giving up early.</summary>
    public const int OutpacedPasses = 3;

    /// <summary>
    /// The guest writes faster than the passes copy: over the last <see cref="OutpacedPasses"/> passes, what was dirty
    /// when each started never shrank, and what the guest wrote during each (the next pass's dirty bytes over the pass's
    /// time) came at least at the rate the pass copied. Waiting longer cannot converge; the rates say why. Null when
    /// the passes keep up, when what is dirty now copies within the budget anyway (tiny passes measure their latency,
    /// not the link, and the loop may only be waiting for another disk's mirror), or when there are too few to tell.
    /// </summary>
    public static (double WriteRate, double CopyRate)? WritesOutpaceCopy(IReadOnlyList<PassLoop.PassRecord> passes, long? dirtyNow, TimeSpan budget)
    {
        if (passes.Count < OutpacedPasses + 1) return null;
        if (dirtyNow is { } dirty && Converged(dirty, passes[^1].Rate, budget)) return null;
        var recent = passes.Skip(passes.Count - OutpacedPasses - 1).ToList();
        double writes = 0, copies = 0;
        for (var i = 0; i < OutpacedPasses; i++)
        {
            var (pass, next) = (recent[i], recent[i + 1]);
            if (next.DirtyBefore < pass.DirtyBefore) return null;
            var seconds = Math.Max(pass.Elapsed.TotalSeconds, 1e-4);
            var writeRate = next.DirtyBefore / seconds;
            if (writeRate < pass.Rate) return null;
            writes += writeRate;
            copies += pass.Rate;
        }
        return (writes / OutpacedPasses, copies / OutpacedPasses);
    }
}
