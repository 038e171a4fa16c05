namespace Elsa.Migration.Host.Server;

/// <summary>Admission rules for migrations (see <see cref="VmLockStore"/>).</summary>
public sealed class MigrationLimitsOptions
{
    public const string Section = "Migrations";

    /// <summary>The workflow input that names the VM; a migration with it holds that VM's lock while it runs.</summary>
    public string VmInputName { get; set; } = "VmId";

    /// <summary>The workflow inputs that name the nodes a migration touches (source and target).</summary>
    public string[] NodeInputNames { get; set; } = ["SourceNode", "TargetNode"];

    /// <summary>At most this many migrations at once per node (a migration without node inputs counts for node <c>local</c>).</summary>
    public int MaxConcurrentPerNode { get; set; } = 2;
}
