using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>
/// An asynchronous QMP event. A closed hierarchy: switch on the concrete type; anything this project does not model
/// arrives as <see cref="UnknownEvent"/> with its raw data.
/// </summary>
public abstract record QmpEvent(string Name, DateTimeOffset Timestamp, JsonObject Data);

/// <summary><c>JOB_STATUS_CHANGE</c>: a job (block job ids included) moved to <paramref name="Status"/>.</summary>
public sealed record JobStatusChangeEvent(DateTimeOffset Timestamp, JsonObject Data, string JobId, JobStatus Status)
    : QmpEvent("JOB_STATUS_CHANGE", Timestamp, Data);

/// <summary>Fields shared by the block job lifecycle events.</summary>
public abstract record BlockJobEvent(string Name, DateTimeOffset Timestamp, JsonObject Data, string Device, BlockJobType Type, long Length, long Offset, long Speed)
    : QmpEvent(Name, Timestamp, Data);

/// <summary><c>BLOCK_JOB_READY</c>: a mirror converged; it keeps tracking new writes until completed or cancelled.</summary>
public sealed record BlockJobReadyEvent(DateTimeOffset Timestamp, JsonObject Data, string Device, BlockJobType Type, long Length, long Offset, long Speed)
    : BlockJobEvent("BLOCK_JOB_READY", Timestamp, Data, Device, Type, Length, Offset, Speed);

/// <summary><c>BLOCK_JOB_COMPLETED</c>: a job ended; <paramref name="Error"/> is set when it failed. A soft cancel of a READY mirror also ends here.</summary>
public sealed record BlockJobCompletedEvent(DateTimeOffset Timestamp, JsonObject Data, string Device, BlockJobType Type, long Length, long Offset, long Speed, string? Error)
    : BlockJobEvent("BLOCK_JOB_COMPLETED", Timestamp, Data, Device, Type, Length, Offset, Speed);

/// <summary><c>BLOCK_JOB_CANCELLED</c>: a job was cancelled before it was ready (or force-cancelled).</summary>
public sealed record BlockJobCancelledEvent(DateTimeOffset Timestamp, JsonObject Data, string Device, BlockJobType Type, long Length, long Offset, long Speed)
    : BlockJobEvent("BLOCK_JOB_CANCELLED", Timestamp, Data, Device, Type, Length, Offset, Speed);

/// <summary><c>BLOCK_JOB_ERROR</c>: an I/O error in a job; <paramref name="Action"/> is what QEMU did (ignore/report/stop).</summary>
public sealed record BlockJobErrorEvent(DateTimeOffset Timestamp, JsonObject Data, string Device, string Operation, string Action)
    : QmpEvent("BLOCK_JOB_ERROR", Timestamp, Data);

/// <summary><c>MIGRATION</c>: the migration changed status (needs the <c>events</c> capability).</summary>
public sealed record MigrationEvent(DateTimeOffset Timestamp, JsonObject Data, MigrationStatus Status)
    : QmpEvent("MIGRATION", Timestamp, Data);

/// <summary><c>MIGRATION_PASS</c>: a new RAM dirty-sync pass started.</summary>
public sealed record MigrationPassEvent(DateTimeOffset Timestamp, JsonObject Data, long Pass)
    : QmpEvent("MIGRATION_PASS", Timestamp, Data);

/// <summary><c>STOP</c>: the vCPUs stopped.</summary>
public sealed record StopEvent(DateTimeOffset Timestamp, JsonObject Data) : QmpEvent("STOP", Timestamp, Data);

/// <summary><c>RESUME</c>: the vCPUs run again.</summary>
public sealed record ResumeEvent(DateTimeOffset Timestamp, JsonObject Data) : QmpEvent("RESUME", Timestamp, Data);

/// <summary><c>SHUTDOWN</c>: the VM shut down (<paramref name="Guest"/> when the guest asked for it).</summary>
public sealed record ShutdownEvent(DateTimeOffset Timestamp, JsonObject Data, bool Guest, string Reason)
    : QmpEvent("SHUTDOWN", Timestamp, Data);

/// <summary><c>VSERPORT_CHANGE</c>: a virtio serial port (e.g. the guest agent channel) opened or closed in the guest.</summary>
public sealed record VserportChangeEvent(DateTimeOffset Timestamp, JsonObject Data, string Id, bool Open)
    : QmpEvent("VSERPORT_CHANGE", Timestamp, Data);

/// <summary>Any event not modelled above.</summary>
public sealed record UnknownEvent(string EventName, DateTimeOffset Timestamp, JsonObject Data)
    : QmpEvent(EventName, Timestamp, Data);

/// <summary>Turns a raw QMP event message into its typed record.</summary>
public static class QmpEventParser
{
    /// <summary>Parses <c>{"event":..,"data":..,"timestamp":{"seconds":..,"microseconds":..}}</c>.</summary>
    public static QmpEvent Parse(JsonObject message)
    {
        var name = message["event"]?.GetValue<string>() ?? "";
        var data = message["data"] as JsonObject ?? new JsonObject();
        var ts = ParseTimestamp(message["timestamp"] as JsonObject);
        return name switch
        {
            "JOB_STATUS_CHANGE" => new JobStatusChangeEvent(ts, data, Str(data, "id"), QmpEnum.Parse<JobStatus>(Str(data, "status"))),
            "BLOCK_JOB_READY" => new BlockJobReadyEvent(ts, data, Str(data, "device"), JobType(data), Long(data, "len"), Long(data, "offset"), Long(data, "speed")),
            "BLOCK_JOB_COMPLETED" => new BlockJobCompletedEvent(ts, data, Str(data, "device"), JobType(data), Long(data, "len"), Long(data, "offset"), Long(data, "speed"), data["error"]?.GetValue<string>()),
            "BLOCK_JOB_CANCELLED" => new BlockJobCancelledEvent(ts, data, Str(data, "device"), JobType(data), Long(data, "len"), Long(data, "offset"), Long(data, "speed")),
            "BLOCK_JOB_ERROR" => new BlockJobErrorEvent(ts, data, Str(data, "device"), Str(data, "operation"), Str(data, "action")),
            "MIGRATION" => new MigrationEvent(ts, data, QmpEnum.Parse<MigrationStatus>(Str(data, "status"))),
            "MIGRATION_PASS" => new MigrationPassEvent(ts, data, Long(data, "pass")),
            "STOP" => new StopEvent(ts, data),
            "RESUME" => new ResumeEvent(ts, data),
            "SHUTDOWN" => new ShutdownEvent(ts, data, data["guest"]?.GetValue<bool>() ?? false, Str(data, "reason")),
            "VSERPORT_CHANGE" => new VserportChangeEvent(ts, data, Str(data, "id"), data["open"]?.GetValue<bool>() ?? false),
            _ => new UnknownEvent(name, ts, data),
        };
    }

    private static BlockJobType JobType(JsonObject data) => QmpEnum.Parse<BlockJobType>(Str(data, "type"));

    private static string Str(JsonObject data, string key) => data[key]?.GetValue<string>() ?? "";

    private static long Long(JsonObject data, string key) => data[key]?.GetValue<long>() ?? 0;

    private static DateTimeOffset ParseTimestamp(JsonObject? ts)
    {
        if (ts is null) return default;
        var seconds = ts["seconds"]?.GetValue<long>() ?? 0;
        var micros = ts["microseconds"]?.GetValue<long>() ?? 0;
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10);
    }
}
