using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Persistence.Sqlite;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>
/// A runtime over a real SQLite file in a unique temp folder. <see cref="RestartAsync"/> disposes the runtime and
/// builds a new one on the same file (what a host restart does).
/// </summary>
public sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-runtime-tests-" + Guid.NewGuid().ToString("N"));
    private readonly TimeProvider _time;
    private readonly MigrationEngineOptions _options;

    public RuntimeHarness(TimeProvider? time = null, Action<MigrationEngineOptions>? configure = null)
    {
        Directory.CreateDirectory(_directory);
        _time = time ?? TimeProvider.System;
        _options = new MigrationEngineOptions { DatabasePath = Path.Combine(_directory, "state.db") };
        configure?.Invoke(_options);
        Registry = ActivityRegistry.FromTypes([.. typeof(Start).Assembly.GetExportedTypes(),
            typeof(Step), typeof(GatedStep), typeof(FailStep), typeof(FlakyStep), typeof(WaitSignal), typeof(RecordStep), typeof(GatedNoRerunStep), typeof(ProgressStep)]);
        Evaluator = new ExpressionEvaluator();
        Loader = new WorkflowDefinitionLoader(Registry, Evaluator);
        Database = new SqliteDatabase(_options.DatabasePath, NullLogger<SqliteDatabase>.Instance);
        Instances = new SqlWorkflowInstanceStore(Database);
        Journal = new SqlJournalStore(Database);
        Ledger = new SqlLedgerStore(Database);
        Runtime = CreateRuntime();
    }

    public ExecutionLog Log { get; } = new();
    public TestGates Gates { get; } = new();
    public WorkflowEventHub Events { get; private set; } = new();
    public IActivityRegistry Registry { get; }
    public IExpressionEvaluator Evaluator { get; }
    public WorkflowDefinitionLoader Loader { get; }
    public SqliteDatabase Database { get; }
    public IWorkflowInstanceStore Instances { get; }
    public IJournalStore Journal { get; }
    public ILedgerStore Ledger { get; }
    public WorkflowRuntime Runtime { get; private set; }

    public async Task RestartAsync()
    {
        await Runtime.DisposeAsync();
        Events = new WorkflowEventHub();
        Runtime = CreateRuntime();
    }

    public Task<string> StartAsync(string json, IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?>? inputs = null) =>
        Runtime.StartAsync(Loader.Load(json), inputs);

    public async Task<(string Id, WorkflowStatus Status)> RunAsync(string json)
    {
        var id = await StartAsync(json);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var status = await Runtime.WaitForEndAsync(id, timeout.Token);
        if (status != WorkflowStatus.Finished)
            await AssertStatusAsync(id, WorkflowStatus.Finished, status);
        return (id, status);
    }

    /// <summary>Fails with the instance's error and journal when its status is not <paramref name="expected"/>.</summary>
    public async Task AssertStatusAsync(string instanceId, WorkflowStatus expected, WorkflowStatus actual)
    {
        if (expected == actual)
            return;
        var instance = await Instances.GetAsync(instanceId, CancellationToken.None);
        var journal = string.Join(Environment.NewLine, (await JournalOfAsync(instanceId)).Select(e => e.ToString()));
        Assert.Fail($"Expected {expected}, was {actual}. Error: {instance?.Error}{Environment.NewLine}{journal}");
    }

    public async Task<IReadOnlyList<JournalEntry>> JournalOfAsync(string instanceId) =>
        await Journal.ReadAsync(instanceId, 0, 10_000, CancellationToken.None);

    /// <summary>Activity ids of the journal entries of one kind, in order.</summary>
    public async Task<IReadOnlyList<string>> ActivitiesAsync(string instanceId, JournalKind kind) =>
        [.. (await JournalOfAsync(instanceId)).Where(e => e.Kind == kind).Select(e => e.ActivityId!)];

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private WorkflowRuntime CreateRuntime() =>
        new(Instances, new SqlInstanceLeaseStore(Database), Journal, Ledger, Registry, Loader, Evaluator, Events, _time, new Services(this), _options, NullLoggerFactory.Instance);

    private sealed class Services(RuntimeHarness harness) : IServiceProvider
    {
        public object? GetService(Type serviceType) =>
            serviceType == typeof(ExecutionLog) ? harness.Log : serviceType == typeof(TestGates) ? harness.Gates : null;
    }
}
