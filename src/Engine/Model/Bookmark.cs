using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Model;

/// <summary>
/// A durable wait point. Persisted with the instance; <see cref="ResumeAt"/> makes it a timer that the runtime
/// resumes by itself (also after a restart); otherwise an external stimulus resumes it by <see cref="Id"/> or by
/// <see cref="Name"/> (+ payload match) through the runtime.
/// </summary>
public sealed record Bookmark(string Id, string ActivityId, string Name, JsonNode? Payload, DateTimeOffset? ResumeAt)
{
    /// <summary>What the stimulus passed when resuming (null until resumed).</summary>
    public JsonNode? ResumeInput { get; init; }
}
