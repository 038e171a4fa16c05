using System.Text;
using System.Text.Json;

namespace Elsa.Migration.Activities.GuestAgent;

/// <summary>One parsed agent reply: a <c>return</c> value or an <c>error</c> with class and description.</summary>
/// <param name="Id">The request id the agent echoed, when the reply carries one (parse errors do not).</param>
/// <param name="Result">The <c>return</c> value (default when the reply is an error).</param>
/// <param name="ErrorClass">The error's <c>class</c>, null for a successful reply.</param>
/// <param name="ErrorDescription">The error's <c>desc</c>, null for a successful reply.</param>
internal sealed record GuestAgentReply(long? Id, JsonElement Result, string? ErrorClass, string? ErrorDescription)
{
    /// <summary>Parses one line; null for a blank line. Throws <see cref="GuestAgentException"/> when it is not a reply.</summary>
    public static GuestAgentReply? Parse(byte[] line, string endpoint, string command)
    {
        var span = line.AsSpan().Trim("\r\t "u8);
        if (span.IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(span.ToArray());
            var root = document.RootElement;
            long? id = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var idElement)
                       && idElement.TryGetInt64(out var value) ? value : null;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("return", out var result))
            {
                return new GuestAgentReply(id, result.Clone(), null, null);
            }

            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
            {
                var errorClass = error.TryGetProperty("class", out var c) ? c.GetString() : null;
                var description = error.TryGetProperty("desc", out var d) ? d.GetString() : null;
                return new GuestAgentReply(id, default, errorClass ?? "UnknownError", description ?? "");
            }
        }
        catch (JsonException e)
        {
            throw new GuestAgentException(
                $"the guest agent at {endpoint} sent a line that is not JSON while {command} ran: '{Printable(line)}'",
                command, innerException: e);
        }

        throw new GuestAgentException(
            $"the guest agent at {endpoint} sent neither 'return' nor 'error' while {command} ran: '{Printable(line)}'", command);
    }

    /// <summary>True when <paramref name="line"/> is <c>{"return": SYNC_ID}</c>.</summary>
    public static bool IsSyncReply(byte[] line, long syncId)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("return", out var result)
                   && result.ValueKind == JsonValueKind.Number
                   && result.TryGetInt64(out var value) && value == syncId;
        }
        catch (JsonException)
        {
            // Whatever followed a stray 0xFF was not a sync reply: keep looking for ours.
            return false;
        }
    }

    private static string Printable(byte[] line)
    {
        var text = Encoding.UTF8.GetString(line, 0, Math.Min(line.Length, 200));
        return line.Length > 200 ? text + "..." : text;
    }
}
