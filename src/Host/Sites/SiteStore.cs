using Dapper;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Sites;

/// <summary>One stored version of a site's inventory.</summary>
public sealed record StoredSite(string Name, int Version, string InventoryJson, DateTimeOffset CreatedAt);

/// <summary>A site as listed: its latest version.</summary>
public sealed record SiteSummary(string Name, int LatestVersion, int Versions, DateTimeOffset UpdatedAt);

/// <summary>
/// Registered sites in <c>host_sites</c>: each import of a name adds a version (the latest is the one procedures use),
/// like definitions. Callers store only inventories already validated (<see cref="SiteRegistration"/>).
/// </summary>
public sealed class SiteStore(HostDatabase database, HostSchema schema, TimeProvider time)
{
    private volatile bool _schemaReady;

    /// <summary>Stores <paramref name="inventoryJson"/> as the next version of <paramref name="name"/>; returns it.</summary>
    public async Task<StoredSite> AddVersionAsync(string name, string inventoryJson, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // One write transaction: two imports of one name at the same moment get different versions.
        await using var tx = await database.BeginWriteAsync(connection, cancellationToken);
        var version = (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM host_sites WHERE name = @name", new { name }, tx, cancellationToken: cancellationToken));
        var now = time.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO host_sites (name, version, inventory_json, created_at) VALUES (@name, @version, @inventoryJson, @now)",
            new { name, version, inventoryJson, now }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return new StoredSite(name, version, inventoryJson, now);
    }

    /// <summary>Every site with its latest version, by name.</summary>
    public async Task<IReadOnlyList<SiteSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var sites = await connection.QueryAsync<SiteSummary>(new CommandDefinition(
            "SELECT name, MAX(version) AS latest_version, COUNT(*) AS versions, MAX(created_at) AS updated_at FROM host_sites GROUP BY name ORDER BY name",
            cancellationToken: cancellationToken));
        return sites.AsList();
    }

    /// <summary>Version <paramref name="version"/> of the site, or its latest when null; null when there is none.</summary>
    public async Task<StoredSite?> GetAsync(string name, int? version, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<StoredSite>(new CommandDefinition(
            """
            SELECT name, version, inventory_json, created_at FROM host_sites
            WHERE name = @name AND (@version IS NULL OR version = @version)
            ORDER BY version DESC LIMIT 1
            """, new { name, version }, cancellationToken: cancellationToken));
    }

    /// <summary>Deletes every version of the site; returns how many. Running instances are unaffected: their plans carry the nodes.</summary>
    public async Task<int> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM host_sites WHERE name = @name", new { name }, cancellationToken: cancellationToken));
    }

    private async Task<System.Data.Common.DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        // `recover` and `vm` do not create the host tables themselves: the first use here does.
        if (!_schemaReady)
        {
            await schema.EnsureAsync(cancellationToken);
            _schemaReady = true;
        }
        return await database.OpenAsync(cancellationToken);
    }
}
