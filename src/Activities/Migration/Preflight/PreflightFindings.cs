namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// What Preflight's checks found, collected while they run (several at once): refusals and notes. A check that throws
/// is a refusal under its name: whatever goes wrong while checking, nothing was changed, so it refuses, never fails.
/// </summary>
internal sealed class PreflightFindings
{
    private readonly List<PreflightRefusal> _refusals = [];
    private readonly List<string> _notes = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<PreflightRefusal> Refusals { get { lock (_gate) return [.. _refusals]; } }
    public IReadOnlyList<string> Notes { get { lock (_gate) return [.. _notes]; } }
    public bool Refused { get { lock (_gate) return _refusals.Count > 0; } }

    public void Refuse(string check, string message)
    {
        lock (_gate) _refusals.Add(new PreflightRefusal(check, message));
    }

    public void Note(string note)
    {
        lock (_gate) _notes.Add(note);
    }

    /// <summary>Runs a check; an exception (other than cancellation) becomes a refusal of <paramref name="check"/>.</summary>
    public async Task<T?> CheckAsync<T>(string check, Func<Task<T>> run, CancellationToken ct)
    {
        try
        {
            return await run();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Refuse(check, ex.Message);
            return default;
        }
    }

    public Task CheckAsync(string check, Func<Task> run, CancellationToken ct) =>
        CheckAsync(check, async () => { await run(); return true; }, ct);
}
