using Elsa.Migration.Engine.Files;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Validation;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// Runs one workflow file in this process, printing its journal live, and maps the migration's outcome to an exit code
/// (<see cref="RunExitCodes"/>: 0 Migrated, 1 RolledBack or Refused, 2 cancelled, 3 not started (invalid definition or inputs, the
/// VM being migrated already, a node at its limit), 4 NeedsAttention). It starts through <see cref="MigrationAdmission"/> like the server, on the same database.
/// Ctrl-C (SIGINT) or SIGTERM cancels cooperatively: the compensation runs and the exit code is 2.
/// </summary>
internal static class WorkflowRunner
{
    public const int NotStarted = RunExitCodes.NotStarted;

    public static async Task<int> RunAsync(string file, IReadOnlyList<string> inputs, string? databasePath, CancellationToken cancellationToken,
        IReadOnlyList<string>? children = null)
    {
        if (!File.Exists(file))
        {
            await Console.Error.WriteLineAsync($"{file}: file not found.");
            return NotStarted;
        }
        await using var services = HostCliServices.Build(databasePath);
        await services.GetRequiredService<HostSchema>().EnsureAsync(cancellationToken);
        var loader = services.GetRequiredService<IWorkflowDefinitionLoader>();
        var runtime = services.GetRequiredService<IWorkflowRuntime>();
        Engine.Definitions.WorkflowDefinition definition;
        Dictionary<string, JsonNode?> values;
        try
        {
            // Workflow activities: the child files given before it, else the definitions imported into the database.
            await WorkflowFiles.RegisterAsync(services, children ?? [], cancellationToken, strict: true);
            var json = await OperatorFile.ReadTextAsync(file, "workflow definition", cancellationToken);
            if (await WorkflowFiles.PrepareAsync(services, json, cancellationToken) is { } cycle)
                throw new WorkflowValidationException([cycle]);
            definition = loader.Load(json);
            values = ParseInputs(inputs, definition);
        }
        catch (Exception ex) when (ex is WorkflowValidationException or FormatException || OperatorFile.IsUnreadable(ex))
        {
            await Console.Error.WriteLineAsync($"{file}: {ex.Message}");
            return NotStarted;
        }

        var instanceId = Guid.NewGuid().ToString("N");
        using var subscription = services.GetRequiredService<IWorkflowEventStream>().Subscribe(instanceId);
        var printer = PrintAsync(subscription);
        Task<bool>? cancelling = null;
        void Cancel(PosixSignalContext signal)
        {
            signal.Cancel = true; // keep running: compensation must finish before we exit
            if (Interlocked.CompareExchange(ref cancelling, Task.FromResult(false), null) is null)
            {
                Console.Error.WriteLine("Cancelling: running activities are asked to stop, then the compensation runs...");
                cancelling = runtime.CancelAsync(instanceId, CancellationToken.None);
            }
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);

        Console.Out.WriteLine($"Starting {definition.Name} ({definition.DefinitionId} v{definition.Version}) as instance {instanceId}");
        Console.Out.WriteLine($"Database: {services.GetRequiredService<StoreDatabase>().Display}");
        var admission = services.GetRequiredService<MigrationAdmission>();
        WorkflowStatus status;
        try
        {
            var started = await admission.StartAsync(definition, values, "cli", new StartWorkflowOptions(instanceId), cancellationToken);
            if (started is StartMigrationResult.Refused refused)
            {
                await Console.Error.WriteLineAsync($"Not started ({refused.Code}): {refused.Reason}");
                return NotStarted;
            }
            status = await runtime.WaitForEndAsync(instanceId, cancellationToken);
        }
        finally
        {
            subscription.Dispose();
            await printer;
        }
        // The server releases locks of instances it ends; this instance ended here.
        await admission.ReleaseAsync(instanceId, CancellationToken.None);
        if (cancelling is not null)
            await cancelling; // surfaces a failed cancel request instead of losing it
        var instance = await services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, cancellationToken);
        Console.Out.WriteLine($"Instance {instanceId} ended {status}{(instance?.Error is { } error ? ": " + error : "")}");
        var outcome = await services.GetRequiredService<MigrationOutcomeReader>().ReadAsync(instanceId, status, instance?.Error, CancellationToken.None);
        if (outcome is not null)
            Console.Out.WriteLine($"Outcome {outcome.Name}{(outcome.Reason is { } reason ? ": " + reason : "")}");
        return RunExitCodes.For(status, outcome);
    }

    private static async Task PrintAsync(WorkflowEventSubscription subscription)
    {
        await foreach (var workflowEvent in subscription.ReadAllAsync())
        {
            if (workflowEvent is JournalAppended journal)
                Console.Out.WriteLine(journal.Entry.ToString());
        }
    }

    /// <summary><c>name=value</c> pairs. A value is kept as text for String inputs (and undeclared ones), else read as JSON when it parses.</summary>
    private static Dictionary<string, JsonNode?> ParseInputs(IReadOnlyList<string> pairs, Engine.Definitions.WorkflowDefinition definition)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var split = pair.IndexOf('=');
            if (split <= 0)
                throw new FormatException($"--input '{pair}' is not name=value.");
            var (name, text) = (pair[..split], pair[(split + 1)..]);
            var declared = definition.Inputs.FirstOrDefault(i => i.Name == name);
            result[name] = declared is null || declared.TypeName.Equals("String", StringComparison.OrdinalIgnoreCase) ? JsonValue.Create(text) : ParseJsonOrText(text);
        }
        return result;
    }

    private static JsonNode? ParseJsonOrText(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
