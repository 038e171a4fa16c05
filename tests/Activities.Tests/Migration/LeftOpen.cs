using Elsa.Migration.Activities.Tests.Nodes;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// What a replication can leave open behind it: a <c>zfs send</c> process, or a pipe between this process and the
/// zfs-fuse daemon (the daemon writes a send stream itself, into the pipe the zfs client handed it: while we hold
/// the read end, it blocks and keeps the snapshot busy).
/// </summary>
internal static class LeftOpen
{
    /// <summary>Pids of the <c>zfs send</c> processes naming <paramref name="dataset"/>.</summary>
    public static IReadOnlyList<int> ZfsSends(string dataset) =>
        ProcessProbe.Find(dataset).Where(p => p.Program == "zfs" && CommandLine(p.Pid).Contains("send")).Select(p => p.Pid).ToList();

    /// <summary>Pipes this process has open whose other end the zfs-fuse daemon holds.</summary>
    public static IReadOnlyList<string> PipesSharedWithZfsDaemon()
    {
        var daemons = ProcessProbe.Find("zfs-fuse").Where(p => p.Program == "zfs-fuse").Select(p => p.Pid).ToList();
        Assert.NotEmpty(daemons); // else nothing below is checked
        var ours = PipeProbe.OpenPipes().ToHashSet();
        return daemons.SelectMany(d => PipeProbe.OpenPipes(d.ToString(System.Globalization.CultureInfo.InvariantCulture))).Where(ours.Contains).Distinct().ToList();
    }

    private static string[] CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (IOException)
        {
            return [];
        }
    }
}
