using Elsa.Migration.Activities.Migration.Ledger;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// What every VmMigration activity works with: the plan (read only), the migration's state (each step writes its own
/// part, then <see cref="SaveState"/>), the QMP sessions of both QEMUs, the node executors and the instance's ledger.
/// Built at the start of an activity.
/// </summary>
internal sealed class MigrationScope
{
    private MigrationScope(ActivityExecutionContext context, MigrationPlan plan, QmpSessionPool pool)
    {
        Context = context;
        Plan = plan;
        State = MigrationState.Read(context);
        Pool = pool;
    }

    public ActivityExecutionContext Context { get; }
    public MigrationPlan Plan { get; }
    /// <summary>What the steps did so far (<see cref="MigrationState"/>); written back by <see cref="SaveState"/>.</summary>
    public MigrationState State { get; }
    public QmpSessionPool Pool { get; }
    public CancellationToken Token => Context.CancellationToken;

    /// <summary>Opens the scope; fails with what to do when the plan or the services are missing.</summary>
    public static MigrationScope Open(ActivityExecutionContext context) =>
        new(context, MigrationPlan.Read(context), Service<QmpSessionPool>(context));

    /// <summary>Like <see cref="Open"/>, null when there is no plan yet.</summary>
    public static MigrationScope? TryOpen(ActivityExecutionContext context) =>
        MigrationPlan.TryRead(context) is { } plan ? new(context, plan, Service<QmpSessionPool>(context)) : null;

    public static T Service<T>(ActivityExecutionContext context) where T : class =>
        context.Services.GetService(typeof(T)) as T ?? throw new InvalidOperationException(
            $"The service {typeof(T).Name} is not registered: the host must call services.AddVmMigration().");

    public Task<QmpSession> SourceAsync() => Pool.GetAsync(SourceNode, Plan.SourceQmpSocket, Token);
    public Task<QmpSession> TargetAsync(TimeSpan? connectTimeout = null) => Pool.GetAsync(TargetNode, Plan.TargetQmpSocket, Token, connectTimeout);

    /// <summary>The source QEMU's session, null when it is gone (nothing listens on its socket).</summary>
    public Task<QmpSession?> TryGetSourceAsync() => Pool.TryGetAsync(SourceNode, Plan.SourceQmpSocket, Token);

    /// <summary>The target QEMU's session, null when it is gone.</summary>
    public Task<QmpSession?> TryGetTargetAsync() => Pool.TryGetAsync(TargetNode, Plan.TargetQmpSocket, Token);

    public Task DropSourceAsync() => Pool.DropAsync(SourceNode, Plan.SourceQmpSocket);
    public Task DropTargetAsync() => Pool.DropAsync(TargetNode, Plan.TargetQmpSocket);
    /// <summary>The source node, from the node definition the plan carries (never the catalog again: see <see cref="MigrationPlan.SourceNodeDefinition"/>).</summary>
    public NodeExecutor SourceNode => Limit(Plan.SourceNodeDefinition.CreateExecutor(Context.Logger));
    /// <summary>The target node, from the plan's node definition.</summary>
    public NodeExecutor TargetNode => Limit(Plan.TargetNodeDefinition.CreateExecutor(Context.Logger));

    /// <summary>Longest a node command run through <see cref="SourceNode"/> / <see cref="TargetNode"/> may take; null: no limit.</summary>
    public TimeSpan? CommandTimeout { get; set; }

    private NodeExecutor Limit(NodeExecutor node) => CommandTimeout is { } timeout ? node.WithCommandTimeout(timeout) : node;

    /// <summary>Writes the state back (committed with the instance when the activity ends).</summary>
    public void SaveState() => State.Write(Context);

    /// <summary>The ownership mark this migration puts on what it creates (README.md, "Undo only what this migration created"): its instance id.</summary>
    public string Owner => Context.InstanceId;

    /// <summary>Records a resource before it is created (a crash in between leaves an entry whose undo tolerates "not found"
    /// and checks the ownership mark before removing anything).</summary>
    public ValueTask<LedgerEntry> RecordAsync(string kind, string node, string name, JsonObject? details = null) =>
        Context.RecordResourceAsync(kind, node, name, details);

    /// <summary>Marks the entry created once the create succeeded, with the resource's ownership mark.</summary>
    public ValueTask ConfirmAsync(LedgerEntry entry, JsonObject? mark = null) => Context.ConfirmResourceAsync(entry.Id, mark);

    /// <summary>
    /// For a QEMU object in the migration's namespace (<c>mig-*</c>) found to exist already: true when this instance's
    /// ledger holds it (a re-run of the step); otherwise it is someone else's (another migration of this VM, or a
    /// leftover of one never rolled back), and the step refuses instead of adopting it, so no undo ever removes it.
    /// </summary>
    public async ValueTask<bool> RequireOwnAsync(string kind, string name, string where)
    {
        if ((await Context.GetLedgerAsync()).Any(e => e.ReleasedAt is null && e.Kind == kind && e.Name == name)) return true;
        throw new InvalidOperationException(
            $"The {kind} {name} already exists on {where} and this migration did not create it: another migration of VM {Plan.VmId} " +
            "is running, or one ended without its rollback. Finish or roll back that one (./elsa-migrate recover), or remove it by hand, then start again.");
    }

    /// <summary>Releases every unreleased entry of <paramref name="kind"/> and <paramref name="name"/> (the resource is gone or now belongs to the VM).</summary>
    public async ValueTask ReleaseAsync(string kind, string name)
    {
        foreach (var entry in await Context.GetLedgerAsync())
            if (entry.ReleasedAt is null && entry.Kind == kind && entry.Name == name)
                await Context.ReleaseResourceAsync(entry.Id);
    }

    /// <summary>The VM runs on the target: what became the VM's (<see cref="LedgerKinds.HandedOverAtResume"/>) leaves the ledger.</summary>
    public async ValueTask HandOverToTargetAsync()
    {
        foreach (var entry in await Context.GetLedgerAsync())
            if (entry.ReleasedAt is null && LedgerKinds.HandedOverAtResume.Contains(entry.Kind))
                await Context.ReleaseResourceAsync(entry.Id);
    }

    public ValueTask JournalAsync(string message, JsonObject? data = null) => Context.JournalAsync(message, data);
}
