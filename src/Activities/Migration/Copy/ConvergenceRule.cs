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
}
