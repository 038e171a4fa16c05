namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// Would a migration of the VM between these nodes be admitted now (the VM lock, the per-node limit)? Read-only: the
/// host answers it from the same rule its admission applies at start (<c>Host/Server/MigrationAdmission</c>); the lab
/// registers its own. Preflight asks it so that a plan names a refusal the start would give.
/// </summary>
public interface IMigrationAdmissionQuery
{
    /// <summary>Null when admitted; otherwise why not. <paramref name="instanceId"/> is the asking migration's own
    /// instance (its own lock does not count against it); null for a dry run.</summary>
    Task<string?> RefusalAsync(string vmId, string sourceNode, string targetNode, string? instanceId, CancellationToken cancellationToken);
}
