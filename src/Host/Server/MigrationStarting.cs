using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Server;

/// <summary>Which version of a definition to start.</summary>
public enum StartVersion
{
    /// <summary>The published version (what scripts and schedules should run).</summary>
    Published,
    /// <summary>The latest version, draft or not (Studio's Run button).</summary>
    Latest,
}

/// <summary>A request to start a migration, from the API, Studio's Run button or a schedule.</summary>
/// <param name="StartedBy">Who asked, for the lock table and logs: <c>api</c>, <c>studio</c>, <c>schedule:ID</c>.</param>
/// <param name="InstanceId">The id the instance gets (null: a new one); a schedule derives it from the fire time.</param>
public sealed record StartMigrationRequest(
    string DefinitionId,
    IReadOnlyDictionary<string, JsonNode?> Inputs,
    string StartedBy,
    StartVersion Version = StartVersion.Published,
    string? CorrelationId = null,
    string? InstanceId = null);

/// <summary>What became of a start request.</summary>
public abstract record StartMigrationResult
{
    private StartMigrationResult() { }

    /// <summary>The instance was created and is running.</summary>
    public sealed record Started(string InstanceId) : StartMigrationResult;

    /// <summary>Nothing was started; <see cref="Reason"/> says why and what to do.</summary>
    /// <param name="Code"><c>definition-not-found</c>, <c>invalid-definition</c>, <c>vm-busy</c>, <c>node-limit</c>, <c>invalid-inputs</c>, <c>invalid-site</c> (a Site input that is not a registered site name).</param>
    public sealed record Refused(string Code, string Reason) : StartMigrationResult;
}

/// <summary>
/// How the API, Studio and the scheduler start a stored definition. It starts through <see cref="MigrationAdmission"/>,
/// as the CLI's <c>run</c> does with a file, so the VM lock and the per-node limit hold whatever started a migration.
/// </summary>
public interface IMigrationStarter
{
    Task<StartMigrationResult> StartAsync(StartMigrationRequest request, CancellationToken cancellationToken);
}
