using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>One QMP command to send, for <see cref="QmpClient.ExecuteInOrderAsync"/>.</summary>
public sealed record QmpCommand(string Name, JsonObject? Arguments = null);
