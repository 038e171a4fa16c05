using System.Text.Json;

namespace Elsa.Migration.Activities.GuestAgent;

/// <summary>Encodes agent requests: one JSON object per line, with an <c>id</c> the agent echoes in its reply.</summary>
internal static class GuestAgentRequest
{
    /// <summary><c>{"execute": COMMAND, "id": ID}</c> followed by a newline.</summary>
    public static byte[] Encode(string command, long id)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute", command);
            writer.WriteNumber("id", id);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>0xFF, then <c>{"execute": "guest-sync-delimited", "arguments": {"id": SYNC_ID}}</c> and a newline.</summary>
    public static byte[] EncodeSync(long syncId)
    {
        using var buffer = new MemoryStream();
        buffer.WriteByte(GuestAgentFrameReader.Delimiter);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute", "guest-sync-delimited");
            writer.WriteStartObject("arguments");
            writer.WriteNumber("id", syncId);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
