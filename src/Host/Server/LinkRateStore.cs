using System.Globalization;
using Dapper;
using Elsa.Migration.Activities.Migration.Preflight;

namespace Elsa.Migration.Host.Server;

/// <summary>Preflight's settings (section <c>Preflight</c>).</summary>
public sealed class PreflightOptions
{
    public const string Section = "Preflight";

    /// <summary>The rate assumed between two nodes until a migration between them has measured one (bytes/s; default 1 Gbit/s).</summary>
    public double DefaultLinkBytesPerSecond { get; set; } = LinkRate.DefaultBytesPerSecond;
}

/// <summary>
/// The rate each node pair's last migration achieved (table <c>host_link_rates</c>, one row per source and target,
/// replaced by each migration that gets to the switchover), else <see cref="PreflightOptions.DefaultLinkBytesPerSecond"/>.
/// </summary>
public sealed class LinkRateStore(HostDatabase database, Microsoft.Extensions.Options.IOptions<PreflightOptions> options, TimeProvider time) : ILinkRates
{
    private sealed record Row(string source_node, string target_node, double bytes_per_second, string measured_at, string instance_id);

    public async Task<LinkRate> GetAsync(string sourceNode, string targetNode, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT * FROM host_link_rates WHERE source_node = @sourceNode AND target_node = @targetNode", new { sourceNode, targetNode },
            cancellationToken: cancellationToken));
        return row is null
            ? LinkRate.Configured(options.Value.DefaultLinkBytesPerSecond)
            : LinkRate.Measured(row.bytes_per_second, DateTimeOffset.Parse(row.measured_at, CultureInfo.InvariantCulture), row.instance_id);
    }

    public async Task RecordAsync(string sourceNode, string targetNode, double bytesPerSecond, string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO host_link_rates (source_node, target_node, bytes_per_second, measured_at, instance_id)
            VALUES (@sourceNode, @targetNode, @bytesPerSecond, @now, @instanceId)
            ON CONFLICT (source_node, target_node) DO UPDATE SET
                bytes_per_second = excluded.bytes_per_second, measured_at = excluded.measured_at, instance_id = excluded.instance_id
            """,
            new { sourceNode, targetNode, bytesPerSecond, now = time.GetUtcNow().ToString("O"), instanceId }, cancellationToken: cancellationToken));
    }
}
