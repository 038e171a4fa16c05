using System.Text.Json.Serialization;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>How <see cref="FreezeGuest"/> makes the guest's disks consistent.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FreezeMode>))]
public enum FreezeMode
{
    /// <summary><c>guest-fsfreeze-freeze</c> through the guest agent (the guest keeps running, its filesystems are quiesced).</summary>
    Agent,
    /// <summary><c>stop</c> the vCPUs (drains and flushes; no agent needed).</summary>
    Pause,
}
