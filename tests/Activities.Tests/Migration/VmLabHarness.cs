using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// The tests' view of a <see cref="MigrationLab"/> with one VM under test: that VM's paths and disks on both nodes, and
/// the journal and disk comparisons echoed to the test output. The harnesses add how they set up their VM.
/// </summary>
internal abstract class VmLabHarness(MigrationLab lab, string vmId, ITestOutputHelper output) : IAsyncDisposable
{
    public const string Source = MigrationLab.Source;
    public const string Target = MigrationLab.Target;

    protected MigrationLab MigrationLab { get; } = lab;
    protected ITestOutputHelper Output { get; } = output;

    public LabEnvironment Lab => MigrationLab.Lab;
    public ServiceProvider Services => MigrationLab.Services;
    public QmpSessionPool Pool => MigrationLab.Pool;
    public NodeExecutor Local => MigrationLab.Local;
    public VmRuntimePaths SourcePaths => Lab.Inventory.RuntimePaths(vmId, Source);
    public VmRuntimePaths TargetPaths => Lab.Inventory.RuntimePaths(vmId, Target);
    public ResolvedDisk SourceDisk(int i) => MigrationLab.Disk(vmId, i, Source);
    public ResolvedDisk TargetDisk(int i) => MigrationLab.Disk(vmId, i, Target);

    /// <summary>Where the source's copy of disk <paramref name="i"/> is once migration <paramref name="instanceId"/> kept it.</summary>
    public string KeptSourcePath(int i, string instanceId) => MigrationLab.KeptSourcePath(vmId, i, instanceId);

    /// <summary>A lab node as the inventory reaches it (local, or over SSH).</summary>
    public NodeExecutor Node(string name) => MigrationLab.Node(name);

    /// <summary>Runs the workflow through the real runtime with the lab's inputs, to its end.</summary>
    public Task<(string InstanceId, WorkflowStatus Status)> RunAsync(string json, CancellationToken ct, string from = Source, string to = Target) =>
        MigrationLab.RunMigrationAsync(json, vmId, ct, from, to);

    /// <summary>The instance's journal; everything but progress is written to the test output.</summary>
    public async Task<IReadOnlyList<JournalEntry>> JournalAsync(string instanceId, CancellationToken ct)
    {
        var entries = await MigrationLab.JournalAsync(instanceId, ct);
        foreach (var e in entries.Where(e => e.Kind != JournalKind.Progress)) Output.WriteLine(e.ToString());
        return entries;
    }

    public Task<IReadOnlyList<LedgerEntry>> LedgerAsync(string instanceId, CancellationToken ct) => MigrationLab.LedgerAsync(instanceId, ct);

    public Task<bool> DatasetExistsAsync(string node, string dataset, CancellationToken ct) => Lab.Zfs(node).ExistsAsync(dataset, ct);

    public Task<IReadOnlyList<string>> SnapshotsAsync(string node, string dataset, CancellationToken ct) => MigrationLab.SnapshotsAsync(node, dataset, ct);

    /// <summary><see cref="MigrationLab.CompareAsync(string, string, CancellationToken)"/>, written to the test output.</summary>
    public async Task<ImageComparison> CompareAsync(string a, string b, CancellationToken ct)
    {
        var result = await MigrationLab.CompareAsync(a, b, ct);
        Output.WriteLine($"qemu-img compare {a} {b}: {(result.Identical ? "identical" : "NOT identical")}: {result.Output}");
        return result;
    }

    public ValueTask DisposeAsync() => MigrationLab.DisposeAsync();

    /// <summary>Runs the harness's VM set-up; on failure the lab goes away before the exception leaves.</summary>
    protected static async Task<T> SetUpAsync<T>(T harness, Func<Task> setUp) where T : VmLabHarness
    {
        try
        {
            await setUp();
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }
}
