namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>Finds processes by their command line (to prove a relay started and ended; only unique per-test strings are searched).</summary>
internal static class ProcessProbe
{
    /// <summary>Pid and argv[0] of every process whose command line contains <paramref name="fragment"/>.</summary>
    public static IReadOnlyList<(int Pid, string Program)> Find(string fragment)
    {
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // exited while we looked
            }
            if (cmdline.Contains(fragment, StringComparison.Ordinal)) found.Add((pid, Path.GetFileName(cmdline.Split('\0')[0])));
        }
        return found;
    }

    /// <summary>Waits until no process mentions <paramref name="fragment"/>; returns those still left after <paramref name="timeout"/>.</summary>
    public static async Task<IReadOnlyList<(int Pid, string Program)>> WaitGoneAsync(string fragment, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = Find(fragment);
            if (left.Count == 0 || DateTime.UtcNow > deadline) return left;
            await Task.Delay(50, ct);
        }
    }
}
