namespace Elsa.Migration.Activities.GuestAgent;

/// <summary>Filesystem freeze state reported by <c>guest-fsfreeze-status</c>.</summary>
public enum GuestFsFreezeStatus
{
    /// <summary>No filesystem is frozen: the guest writes normally.</summary>
    Thawed,

    /// <summary>The guest's filesystems are frozen: writes block until thaw.</summary>
    Frozen,
}

/// <summary>What <c>guest-info</c> reports: the agent version and the commands it knows.</summary>
/// <param name="Version">The agent's version, e.g. <c>7.2.22</c>.</param>
/// <param name="Commands">Every command the agent knows, enabled or not.</param>
public sealed record GuestAgentInfo(string Version, IReadOnlyList<GuestAgentCommandInfo> Commands)
{
    /// <summary>True when the agent knows <paramref name="name"/> and has it enabled.</summary>
    public bool Supports(string name) => Commands.Any(c => c.Name == name && c.Enabled);
}

/// <summary>One entry of <c>guest-info</c>'s <c>supported_commands</c>.</summary>
/// <param name="Name">Command name.</param>
/// <param name="Enabled">False when the agent was started with the command blocked.</param>
/// <param name="SuccessResponse">False for commands that never answer on success (e.g. <c>guest-shutdown</c>).</param>
public sealed record GuestAgentCommandInfo(string Name, bool Enabled, bool SuccessResponse);

/// <summary>Timeouts of a <see cref="GuestAgentClient"/>.</summary>
/// <param name="ConnectTimeout">Connecting to the chardev socket.</param>
/// <param name="SyncTimeout">One <c>guest-sync-delimited</c> exchange (done on every new connection and after a timeout).</param>
/// <param name="CommandTimeout">Default for one command's reply; each call can override it.</param>
public sealed record GuestAgentClientOptions(TimeSpan ConnectTimeout, TimeSpan SyncTimeout, TimeSpan CommandTimeout)
{
    /// <summary>Defaults that suit a TCG guest: the agent answers in well under a second when it runs.</summary>
    public static GuestAgentClientOptions Default { get; } =
        new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
}
