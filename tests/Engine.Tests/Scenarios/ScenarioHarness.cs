using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Engine.Tests.Scenarios;

/// <summary>
/// The engine as a host composes it (<c>AddMigrationEngine</c>) over a real SQLite file in a unique temp folder, plus
/// the scenario definitions in <c>Scenarios/Samples</c> (Elsa 3 JSON, written after the kinds of workflows Elsa's own
/// test suite runs). Deletes the folder on dispose, also after a failed test.
/// </summary>
public sealed class ScenarioHarness : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-scenario-tests-" + Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _services;

    public ScenarioHarness(Action<MigrationEngineOptions>? configure = null)
    {
        Directory.CreateDirectory(_directory);
        _services = new ServiceCollection()
            .AddMigrationEngine(o =>
            {
                o.DatabasePath = Path.Combine(_directory, "state.db");
                configure?.Invoke(o);
            })
            .BuildServiceProvider();
    }

    public IWorkflowRuntime Runtime => _services.GetRequiredService<IWorkflowRuntime>();
    public IWorkflowDefinitionLoader Loader => _services.GetRequiredService<IWorkflowDefinitionLoader>();
    public IWorkflowDefinitionStore Definitions => _services.GetRequiredService<IWorkflowDefinitionStore>();
    public IWorkflowInstanceStore Instances => _services.GetRequiredService<IWorkflowInstanceStore>();
    public IJournalStore Journal => _services.GetRequiredService<IJournalStore>();

    public static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Scenarios", "Samples", name));

    /// <summary>Stores and publishes a sample (what <c>import --publish</c> does), so other workflows can use it.</summary>
    public async Task PublishAsync(string sample)
    {
        var definition = Loader.Load(Sample(sample));
        await Definitions.SaveDraftAsync(definition.DefinitionId, definition.Name, Sample(sample), CancellationToken.None);
        await Definitions.PublishAsync(definition.DefinitionId, null, CancellationToken.None);
    }

    /// <summary>Runs a sample to its end (20 s at most) and returns the instance.</summary>
    public async Task<WorkflowInstanceRecord> RunAsync(string sample, IReadOnlyDictionary<string, JsonNode?>? inputs = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _services.GetRequiredService<WorkflowActivityResolver>().PrepareAsync(Sample(sample), timeout.Token);
        var id = await Runtime.StartAsync(Loader.Load(Sample(sample)), inputs, null, timeout.Token);
        try
        {
            await Runtime.WaitForEndAsync(id, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Say where it stopped: the journal is the evidence of a hang.
            Assert.Fail($"{sample} did not end within 20 s:{Environment.NewLine}{string.Join(Environment.NewLine, await JournalAsync(id))}");
        }
        return (await Instances.GetAsync(id, CancellationToken.None))!;
    }

    /// <summary>The lines WriteLine wrote (journal messages of WriteLine activities), in journal order.</summary>
    public async Task<IReadOnlyList<string>> LinesAsync(string instanceId) =>
        [.. (await JournalAsync(instanceId)).Where(e => e.Kind == JournalKind.Message && e.ActivityType == "Elsa.WriteLine").Select(e => e.Message!)];

    public async Task<IReadOnlyList<JournalEntry>> JournalAsync(string instanceId) =>
        await Journal.ReadAsync(instanceId, 0, 100_000, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
