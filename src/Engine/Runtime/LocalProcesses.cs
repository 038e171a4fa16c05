using System.Diagnostics;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>Whether a lease holder's process is gone, when it ran on this machine: a SIGKILLed <c>run</c> or <c>serve</c>
/// need not wait for its leases to expire before <c>recover</c> takes its instances (today's behaviour on one machine).
/// A reused pid looks alive: then the lease's expiry decides, the safe way round.</summary>
internal static class LocalProcesses
{
    public static bool IsGone(string? hostName, long? pid)
    {
        if (hostName != Environment.MachineName || pid is not { } id || id == Environment.ProcessId)
            return false;
        try
        {
            using var process = Process.GetProcessById(checked((int)id));
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no process with that id
        }
        catch (InvalidOperationException)
        {
            return true; // it exited while we looked
        }
    }
}
