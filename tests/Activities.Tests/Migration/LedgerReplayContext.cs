using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// Runs one activity outside the runtime over a given ledger and variables: used to replay Rollback over a ledger whose
/// entries are all still unreleased, as a host that crashed in the middle of a rollback would find it. Everything the
/// activity touches (QEMU, ZFS, nodes) is real; only the bookkeeping is in memory.
/// </summary>
internal sealed class LedgerReplayContext(Activity activity, IServiceProvider services, IEnumerable<LedgerEntry> ledger, JsonObject variables, CancellationToken ct)
    : ActivityExecutionContext
{
    private readonly List<LedgerEntry> _ledger = ledger.Select(e => e with { ReleasedAt = null }).ToList();
    private string[]? _outcomes;

    public List<string> Journal { get; } = [];
    public override string InstanceId => "replay";
    public override Activity Activity => activity;
    public override CancellationToken CancellationToken => ct;
    public override ILogger Logger => NullLogger.Instance;
    public override TimeProvider Time => TimeProvider.System;
    public override IServiceProvider Services => services;
    public override bool IsCompleted => _outcomes is not null;
    public IReadOnlyList<LedgerEntry> Ledger => _ledger;

    protected override object? Evaluate(Expression expression, Type valueType) => null; // Rollback reads no inputs
    public override void Set<T>(Output<T>? output, T value) { }
    public override JsonNode? GetVariable(string name) => variables[name]?.DeepClone();
    public override void SetVariable(string name, JsonNode? value) => variables[name] = value?.DeepClone();

    public override ValueTask CompleteAsync(params string[] outcomes)
    {
        _outcomes = outcomes;
        return ValueTask.CompletedTask;
    }

    public override Bookmark CreateBookmark(string name, JsonNode? payload = null, DateTimeOffset? resumeAt = null) =>
        throw new NotSupportedException("Replayed activities do not suspend.");

    public override ValueTask JournalAsync(string message, JsonObject? data = null)
    {
        Journal.Add(message);
        return ValueTask.CompletedTask;
    }

    public override ValueTask ReportProgressAsync(Progress progress) => ValueTask.CompletedTask;

    public override ValueTask<LedgerEntry> RecordResourceAsync(string kind, string node, string name, JsonObject? details = null)
    {
        var entry = new LedgerEntry(_ledger.Count + 1000, InstanceId, activity.Id, kind, node, name, details, DateTimeOffset.UtcNow, null);
        _ledger.Add(entry);
        return ValueTask.FromResult(entry);
    }

    public override ValueTask ConfirmResourceAsync(long ledgerEntryId, JsonObject? mark = null)
    {
        var i = _ledger.FindIndex(e => e.Id == ledgerEntryId);
        var details = _ledger[i].Details?.DeepClone().AsObject() ?? new JsonObject();
        foreach (var (key, value) in mark ?? new JsonObject()) details[key] = value?.DeepClone();
        _ledger[i] = _ledger[i] with { Details = details, ConfirmedAt = DateTimeOffset.UtcNow };
        return ValueTask.CompletedTask;
    }

    public override ValueTask ReleaseResourceAsync(long ledgerEntryId)
    {
        var i = _ledger.FindIndex(e => e.Id == ledgerEntryId);
        _ledger[i] = _ledger[i] with { ReleasedAt = DateTimeOffset.UtcNow };
        return ValueTask.CompletedTask;
    }

    public override ValueTask<IReadOnlyList<LedgerEntry>> GetLedgerAsync() => ValueTask.FromResult<IReadOnlyList<LedgerEntry>>(_ledger.ToList());

    /// <summary>A replay has no journal of its own: no failure led to it.</summary>
    public override ValueTask<IReadOnlyList<Engine.Persistence.JournalEntry>> GetJournalAsync() =>
        ValueTask.FromResult<IReadOnlyList<Engine.Persistence.JournalEntry>>([]);
}
