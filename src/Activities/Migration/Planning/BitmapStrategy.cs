using System.Text.Json.Serialization;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>How a replicated disk's dirty blocks are copied (<see cref="Steps.BitmapMirror"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BitmapStrategy>))]
public enum BitmapStrategy
{
    /// <summary>Native where QEMU offers it, else backup passes.</summary>
    Auto,
    /// <summary><c>blockdev-mirror sync:bitmap</c> (Proxmox-patched QEMU only).</summary>
    Native,
    /// <summary>Repeated <c>blockdev-backup sync:bitmap bitmap-mode:on-success</c> passes (stock QEMU).</summary>
    BackupPasses,
}
