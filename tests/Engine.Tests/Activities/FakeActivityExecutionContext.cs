using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Engine.Tests.Activities;

/// <summary>A pure in-memory context for unit tests of single activities (the runtime's real context is tested there).</summary>
internal sealed class FakeActivityExecutionContext(Activity activity, IReadOnlyDictionary<string, string> variableNamesById, TimeProvider time) : ActivityExecutionContext
{
    private readonly ExpressionEvaluator _evaluator = new();

    public Dictionary<string, JsonNode?> Variables { get; } = new(StringComparer.Ordinal);
    public List<string> Journal { get; } = [];
    public List<Bookmark> Bookmarks { get; } = [];
    public IReadOnlyList<string>? CompletedWith { get; private set; }

    public override string InstanceId => "instance-1";
    public override Activity Activity { get; } = activity;
    public override CancellationToken CancellationToken => CancellationToken.None;
    public override ILogger Logger => NullLogger.Instance;
    public override TimeProvider Time { get; } = time;
    public override IServiceProvider Services => throw new NotSupportedException("Built-in activities need no services.");
    public override bool IsCompleted => CompletedWith is not null;

    protected override object? Evaluate(Expression expression, Type valueType) =>
        _evaluator.Evaluate(expression, valueType, new ExpressionScope(Variables, variableNamesById, new Dictionary<string, JsonNode?>()), CancellationToken);

    public override void Set<T>(Output<T>? output, T value) => throw new NotSupportedException();
    public override JsonNode? GetVariable(string name) => Variables.GetValueOrDefault(name);
    public override void SetVariable(string name, JsonNode? value) => Variables[name] = value;

    public override string? ResolveVariableName(string idOrName) =>
        variableNamesById.TryGetValue(idOrName, out var name) ? name : variableNamesById.Values.Contains(idOrName) ? idOrName : null;

    public override ValueTask CompleteAsync(params string[] outcomes)
    {
        CompletedWith = outcomes;
        return ValueTask.CompletedTask;
    }

    public override Bookmark CreateBookmark(string name, JsonNode? payload = null, DateTimeOffset? resumeAt = null)
    {
        var bookmark = new Bookmark($"b{Bookmarks.Count + 1}", Activity.Id, name, payload, resumeAt);
        Bookmarks.Add(bookmark);
        return bookmark;
    }

    public override ValueTask JournalAsync(string message, JsonObject? data = null)
    {
        Journal.Add(message);
        return ValueTask.CompletedTask;
    }

    public override ValueTask ReportProgressAsync(Progress progress) => throw new NotSupportedException();
    public override ValueTask<LedgerEntry> RecordResourceAsync(string kind, string node, string name, JsonObject? details = null) => throw new NotSupportedException();
    public override ValueTask ConfirmResourceAsync(long ledgerEntryId, JsonObject? mark = null) => throw new NotSupportedException();
    public override ValueTask ReleaseResourceAsync(long ledgerEntryId) => throw new NotSupportedException();
    public override ValueTask<IReadOnlyList<LedgerEntry>> GetLedgerAsync() => throw new NotSupportedException();
    public override ValueTask<IReadOnlyList<Engine.Persistence.JournalEntry>> GetJournalAsync() => throw new NotSupportedException();
}

/// <summary>A clock that stands still.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
