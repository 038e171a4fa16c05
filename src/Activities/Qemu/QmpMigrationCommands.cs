using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>Typed live-migration commands.</summary>
public static class QmpMigrationCommands
{
    /// <summary><c>migrate-set-capabilities</c> with every given capability set to <paramref name="enabled"/>.</summary>
    public static Task MigrateSetCapabilitiesAsync(this QmpClient qmp, IEnumerable<MigrationCapability> capabilities, bool enabled = true, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("migrate-set-capabilities", new JsonObject
        {
            ["capabilities"] = new JsonArray(capabilities.Select(c => (JsonNode)new JsonObject { ["capability"] = QmpEnum.ToQapi(c), ["state"] = enabled }).ToArray()),
        }, cancellationToken: cancellationToken);

    /// <summary><c>migrate-set-parameters</c>: max-bandwidth (bytes/s) and downtime-limit (ms).</summary>
    public static Task MigrateSetParametersAsync(this QmpClient qmp, MigrationParameters parameters, CancellationToken cancellationToken = default)
    {
        var args = new JsonObject();
        if (parameters.MaxBandwidth is { } bw) args["max-bandwidth"] = bw;
        if (parameters.DowntimeLimit is { } dl) args["downtime-limit"] = (long)dl.TotalMilliseconds;
        return qmp.ExecuteAsync("migrate-set-parameters", args, cancellationToken: cancellationToken);
    }

    /// <summary><c>migrate</c> to <paramref name="uri"/> (e.g. <c>unix:/path</c>). Follow it with <see cref="MigrationEvent"/>s.</summary>
    public static Task MigrateAsync(this QmpClient qmp, string uri, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("migrate", new JsonObject { ["uri"] = uri }, cancellationToken: cancellationToken);

    /// <summary><c>migrate-incoming</c> on a target started with <c>-incoming defer</c>.</summary>
    public static Task MigrateIncomingAsync(this QmpClient qmp, string uri, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = uri }, cancellationToken: cancellationToken);

    /// <summary><c>migrate-continue</c> from <paramref name="state"/> (default pre-switchover).</summary>
    public static Task MigrateContinueAsync(this QmpClient qmp, MigrationStatus state = MigrationStatus.PreSwitchover, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("migrate-continue", new JsonObject { ["state"] = QmpEnum.ToQapi(state) }, cancellationToken: cancellationToken);

    /// <summary><c>migrate_cancel</c>. The target QEMU exits afterwards; a retry needs a new target.</summary>
    public static Task MigrateCancelAsync(this QmpClient qmp, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("migrate_cancel", cancellationToken: cancellationToken);

    /// <summary><c>query-migrate</c>.</summary>
    public static async Task<MigrationInfo> QueryMigrateAsync(this QmpClient qmp, CancellationToken cancellationToken = default)
    {
        var r = await qmp.ExecuteAsync("query-migrate", cancellationToken: cancellationToken).ConfigureAwait(false);
        var ram = r?["ram"];
        var stats = ram is null ? null : new MigrationRamStats(QmpArgs.Long(ram, "transferred"), QmpArgs.Long(ram, "remaining"), QmpArgs.Long(ram, "total"),
            QmpArgs.Long(ram, "duplicate"), QmpArgs.Long(ram, "normal"), QmpArgs.Long(ram, "normal-bytes"), QmpArgs.Long(ram, "dirty-pages-rate"),
            ram["mbps"]?.GetValue<double>() ?? 0, QmpArgs.Long(ram, "dirty-sync-count"));
        // Before any migration QEMU returns {} (no status): that is "none".
        var status = r?["status"] is null ? MigrationStatus.None : QmpEnum.Parse<MigrationStatus>(QmpArgs.Str(r, "status"));
        return new MigrationInfo(status, QmpArgs.LongOrNull(r, "total-time"), QmpArgs.LongOrNull(r, "downtime"),
            QmpArgs.LongOrNull(r, "expected-downtime"), QmpArgs.LongOrNull(r, "setup-time"), stats, QmpArgs.StrOrNull(r, "error-desc"));
    }
}
