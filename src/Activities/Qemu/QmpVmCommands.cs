using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>Typed VM-level commands: status, stop/cont, quit, HMP.</summary>
public static class QmpVmCommands
{
    /// <summary><c>query-status</c>.</summary>
    public static async Task<VmStatus> QueryStatusAsync(this QmpClient qmp, CancellationToken cancellationToken = default)
    {
        var r = await qmp.ExecuteAsync("query-status", cancellationToken: cancellationToken).ConfigureAwait(false);
        return new VmStatus(QmpArgs.Bool(r, "running"), QmpEnum.Parse<RunState>(QmpArgs.Str(r, "status")));
    }

    /// <summary><c>stop</c>: pauses the vCPUs (drains and flushes I/O).</summary>
    public static Task StopAsync(this QmpClient qmp, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("stop", cancellationToken: cancellationToken);

    /// <summary><c>cont</c>: resumes the vCPUs.</summary>
    public static Task ContAsync(this QmpClient qmp, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("cont", cancellationToken: cancellationToken);

    /// <summary><c>quit</c>: QEMU replies and exits, closing the connection.</summary>
    public static Task QuitAsync(this QmpClient qmp, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("quit", cancellationToken: cancellationToken);

    /// <summary>
    /// <c>human-monitor-command</c>. Returns HMP's text. Note: <c>qemu-io</c> prints to QEMU's stdout, not here (always "").
    /// </summary>
    public static async Task<string> HumanMonitorCommandAsync(this QmpClient qmp, string commandLine, CancellationToken cancellationToken = default)
    {
        var r = await qmp.ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = commandLine }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return r?.GetValue<string>() ?? "";
    }

    /// <summary><c>query-qmp-schema</c>, reduced to what this project decides on; asked once per QEMU build (version and
    /// package from the greeting) in this process: the schema is a property of the binary, and the query costs ~80 ms.</summary>
    public static async Task<QmpCapabilities> QueryCapabilitiesAsync(this QmpClient qmp, CancellationToken cancellationToken = default)
    {
        var build = $"{qmp.QemuVersion} {qmp.QemuPackage}";
        if (CapabilitiesByBuild.TryGetValue(build, out var known)) return known;
        var schema = await qmp.ExecuteAsync("query-qmp-schema", cancellationToken: cancellationToken).ConfigureAwait(false);
        return CapabilitiesByBuild[build] = QmpCapabilities.FromSchema(schema as JsonArray ?? [], qmp.QemuVersion);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, QmpCapabilities> CapabilitiesByBuild = new();
}
