using System.Diagnostics;
using System.Text;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary>Runs the built CLI (<c>elsa-migrate.dll</c> from this test's output) as a real process.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(IEnumerable<string> arguments, string? databasePath, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "elsa-migrate.dll");
        if (!File.Exists(cli))
            throw new FileNotFoundException($"The CLI is not built at {cli}: build tests/Host.Tests (it references src/Host).");
        var start = new ProcessStartInfo(launcher?[0] ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (launcher is not null)
        {
            // e.g. `ip netns exec NS`: it execs the next program, so this process is dotnet itself (signals reach it).
            foreach (var part in launcher.Skip(1))
                start.ArgumentList.Add(part);
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment.Remove("ELSA_MIGRATION_DB");
        if (databasePath is not null)
            start.Environment["ELSA_MIGRATION_DB"] = databasePath;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { if (e.Data is null) _outputClosed.TrySetResult(); else lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Output { get { lock (_stdout) return _stdout.ToString(); } }

    public string Error { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Starts the CLI; <paramref name="databasePath"/> is passed as ELSA_MIGRATION_DB.</summary>
    public static CliProcess Start(string databasePath, params string[] arguments) => new(arguments, databasePath);

    /// <summary>Starts the CLI with more environment variables (e.g. <c>Leases__Duration</c>).</summary>
    public static CliProcess Start(string databasePath, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        new(arguments, databasePath, environment);

    /// <summary>Starts the CLI as if on another machine named <paramref name="machineName"/>: in a UTS namespace of its own
    /// with that host name (<c>unshare --uts</c>, as root; pids, network and files stay shared), so other processes cannot
    /// tell whether it still runs and must wait for its leases to expire. It leads a process group of its own: <c>setsid</c>,
    /// <c>unshare</c> and the shell all exec (a child of this process leads no group, so setsid does not fork), so its pid
    /// is the group's id (<see cref="CrashProcessGroupAsync"/>).</summary>
    public static CliProcess StartAsOtherMachine(string machineName, string databasePath, IReadOnlyDictionary<string, string> environment,
        params string[] arguments) =>
        new(arguments, databasePath, environment, launcher:
        [
            File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : "setsid", "unshare", "--uts", "/bin/sh", "-c", "hostname \"$0\" && exec \"$@\"", machineName,
        ]);

    /// <summary>Starts the CLI inside network namespace <paramref name="networkNamespace"/> (<c>ip netns exec</c>).</summary>
    public static CliProcess StartInNetworkNamespace(string networkNamespace, string databasePath, params string[] arguments) =>
        new(arguments, databasePath, launcher: [File.Exists("/usr/sbin/ip") ? "/usr/sbin/ip" : "ip", "netns", "exec", networkNamespace]);

    /// <summary>Runs the CLI without ELSA_MIGRATION_DB and with the given environment, to its end.</summary>
    public static async Task<int> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        using var cli = new CliProcess(arguments, null, environment);
        return await cli.WaitForExitAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Runs the CLI to its end and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string databasePath, params string[] arguments)
    {
        using var cli = Start(databasePath, arguments);
        var exitCode = await cli.WaitForExitAsync(TimeSpan.FromSeconds(90));
        return (exitCode, cli.Output, cli.Error);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            await _outputClosed.Task.WaitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The CLI did not exit within {timeout}. Output:\n{Output}\nErrors:\n{Error}");
        }
        return _process.ExitCode;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                if (_process.HasExited)
                    throw new InvalidOperationException($"The CLI exited ({_process.ExitCode}) before printing '{text}'. Output:\n{Output}\nErrors:\n{Error}");
                await Task.Delay(20, cancellation.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The CLI did not print '{text}' within {timeout}. Output:\n{Output}\nErrors:\n{Error}");
        }
    }

    /// <summary>Sends SIGINT (what Ctrl-C sends) with the system's <c>kill</c>.</summary>
    public Task InterruptAsync() => KillAsync("-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>SIGKILL to the whole process group of a CLI started by <see cref="StartAsOtherMachine"/>: the host and
    /// every child it started in its group die at once, nothing runs on the way out (daemonized QEMUs have left the group).</summary>
    public async Task CrashProcessGroupAsync()
    {
        var group = File.ReadAllText($"/proc/{_process.Id}/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
        if (group != _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidOperationException($"The CLI (pid {_process.Id}) is in process group {group}, not its own: start it with StartAsOtherMachine.");
        await KillAsync("-KILL", "--", "-" + group);
    }

    private static async Task KillAsync(params string[] arguments)
    {
        var kill = new ProcessStartInfo("kill") { UseShellExecute = false };
        foreach (var argument in arguments)
            kill.ArgumentList.Add(argument);
        using var process = Process.Start(kill) ?? throw new InvalidOperationException("Could not run kill.");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"kill {string.Join(' ', arguments)} exited {process.ExitCode}.");
    }

    /// <summary>SIGKILL to the CLI process alone (not its tree): a crash, nothing runs on the way out.</summary>
    public void Crash() => _process.Kill(entireProcessTree: false);

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
