using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>Tests that count this process's pipe descriptors run alone (another test's processes would change the count).</summary>
[CollectionDefinition("process-pipes", DisableParallelization = true)]
public sealed class ProcessPipesCollection;

/// <summary>
/// Wraps a command so that, before it execs, it records its pid and the pipes on its stdin/stdout/stderr in a temp dir.
/// After a run, tells which recorded process is still alive and which of those pipes this test process still holds.
/// Every recorded process still alive when the probe is disposed is killed (a failed test leaves nothing running).
/// </summary>
internal sealed class PipeProbe : IDisposable
{
    private const string Recorder =
        "echo $$ > \"$0.pid\"; echo \"$(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)\" > \"$0.fds\"; exec \"$@\"";

    private readonly string _dir = TestTools.CreateTempDir("elsa-pipe");

    /// <summary><paramref name="program"/> with its arguments, recorded as <paramref name="name"/>.</summary>
    public NodeCommand Wrap(string name, string program, params string[] arguments) =>
        new("sh", ["-c", Recorder, Path.Combine(_dir, name), program, .. arguments]);

    /// <summary>A path in the probe's dir: a script that writes <c>NAME.pid</c> there is checked like a wrapped command.</summary>
    public string PathOf(string file) => Path.Combine(_dir, file);

    /// <summary>Names of the recorded processes that are still alive (not a zombie), with their pids.</summary>
    public IReadOnlyList<string> Alive() =>
        RecordedPids().Where(p => IsAlive(p.Pid)).Select(p => $"{p.Name} (pid {p.Pid})").ToList();

    /// <summary>Wrapped commands (our own children) whose process entry still exists: alive, or dead but not reaped.</summary>
    public IReadOnlyList<string> Unreaped() =>
        RecordedPids().Where(p => File.Exists(PathOf(p.Name + ".fds")) && Directory.Exists($"/proc/{p.Pid}")).Select(p => $"{p.Name} (pid {p.Pid})").ToList();

    /// <summary>The recorded processes' pipes that this test process still has open.</summary>
    public IReadOnlyList<string> PipesHeldByUs()
    {
        var theirs = Directory.EnumerateFiles(_dir, "*.fds")
            .SelectMany(f => File.ReadAllText(f).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(l => l.StartsWith("pipe:", StringComparison.Ordinal)).ToHashSet();
        Assert.NotEmpty(theirs); // else the check below proves nothing
        return OpenPipes().Where(theirs.Contains).ToList();
    }

    /// <summary>How many pipe ends this process has open (<c>/proc/self/fd</c> entries pointing to <c>pipe:[...]</c>).</summary>
    public static int CountOpenPipes() => OpenPipes().Count();

    /// <summary><see cref="CountOpenPipes"/> before a test: the runtime opens pipes of its own with the first child process (SIGCHLD handling), so one is started first.</summary>
    public static int BaselinePipeCount()
    {
        using (var warmUp = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!) warmUp.WaitForExit();
        return CountOpenPipes();
    }

    /// <summary>Waits until no recorded process is alive (a reaped child disappears at once; an orphan is reaped by init).</summary>
    public async Task<IReadOnlyList<string>> WaitAllGoneAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Alive() is { Count: > 0 } alive && DateTime.UtcNow < deadline) await Task.Delay(50);
        return Alive();
    }

    public void Dispose()
    {
        foreach (var (_, pid) in RecordedPids().Where(p => IsAlive(p.Pid)))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // Gone meanwhile.
            }
        }
        Directory.Delete(_dir, recursive: true);
    }

    private IEnumerable<(string Name, int Pid)> RecordedPids() =>
        Directory.EnumerateFiles(_dir, "*.pid")
            .Select(f => (Name: Path.GetFileNameWithoutExtension(f), Text: File.ReadAllText(f).Trim()))
            .Where(r => int.TryParse(r.Text, out _))
            .Select(r => (r.Name, int.Parse(r.Text)))
            .ToList();

    private static bool IsAlive(int pid)
    {
        try
        {
            // Field 3 of /proc/PID/stat is the state; Z is a zombie (dead, waiting to be reaped by its parent).
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() != 'Z';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The pipes (<c>pipe:[inode]</c>) a process has open: this one by default, else the pid's (nothing when it is gone).</summary>
    public static IEnumerable<string> OpenPipes(string process = "self")
    {
        string[] fds;
        try
        {
            fds = Directory.GetFiles($"/proc/{process}/fd");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var fd in fds)
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed since it was listed (e.g. the descriptor that listed the directory)
            }
            if (target?.StartsWith("pipe:", StringComparison.Ordinal) == true) yield return target;
        }
    }
}
