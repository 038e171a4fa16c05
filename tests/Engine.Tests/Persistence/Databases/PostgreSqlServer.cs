using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Elsa.Migration.Engine.Tests.Persistence;

/// <summary>
/// A real PostgreSQL cluster for the store tests: <c>initdb</c> into a new folder under /tmp and <c>pg_ctl start</c> on a
/// free loopback port (Debian's postgresql package; never the system cluster), one per test collection; each test gets
/// a database of its own (<see cref="CreateDatabaseAsync"/>). initdb refuses root, so as root the cluster runs as the
/// package's unprivileged <c>postgres</c> user (<c>runuser</c>). The server is stopped and its folder removed when the
/// collection ends, whatever its tests did; one a killed test run left behind is removed by the next run. When it cannot start, every test that needs it fails with the reason.
/// </summary>
public sealed class PostgreSqlServer : IAsyncLifetime
{
    private const string Superuser = "elsa";
    private const string FolderPrefix = "elsa-pg-";
    // The test process's pid in the name: a later run removes the cluster of a run that was killed (SIGKILL, a lost CI
    // runner) before its collection could stop it.
    private readonly string _folder;
    private string? _binaries;
    private bool _started;

    public PostgreSqlServer() : this(Environment.ProcessId)
    {
    }

    /// <param name="ownerPid">The test process the cluster belongs to (another pid only to test the removal of a dead run's).</param>
    internal PostgreSqlServer(int ownerPid) =>
        _folder = Path.Combine("/tmp", $"{FolderPrefix}{ownerPid}-{Guid.NewGuid().ToString("N")[..12]}");

    /// <summary>The cluster's folder (data directory, socket and server.log).</summary>
    internal string Folder => _folder;
    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _binaries = FindBinaries();
        await RemoveClustersOfDeadRunsAsync();
        Port = FreePort();
        var (initExit, initOutput) = await RunAsync("initdb", "-D", _folder, "-U", Superuser, "--auth=trust", "-E", "UTF8", "--no-sync");
        if (initExit != 0)
            throw new InvalidOperationException($"initdb failed (exit {initExit}) in {_folder}: {initOutput}");
        var options = $"-c listen_addresses=127.0.0.1 -p {Port} -k {_folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        var (startExit, startOutput) = await RunAsync("pg_ctl", "start", "-w", "-t", "60", "-D", _folder, "-l", Path.Combine(_folder, "server.log"), "-o", options);
        _started = true;
        if (startExit != 0)
            throw new InvalidOperationException($"pg_ctl start failed (exit {startExit}): {startOutput}\nServer log:\n{ReadLog()}");
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_started)
            {
                var (exit, output) = await RunAsync("pg_ctl", "stop", "-w", "-m", "immediate", "-D", _folder);
                if (exit != 0)
                    throw new InvalidOperationException($"pg_ctl stop failed (exit {exit}): {output}; the server in {_folder} may still run.");
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (Directory.Exists(_folder))
                Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>Creates an empty database and returns its connection string (the form <c>--db</c> takes).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using var admin = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Drops a database <see cref="CreateDatabaseAsync"/> made, with any connection still open to it.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using (var pooled = new NpgsqlConnection(connectionString))
            NpgsqlConnection.ClearPool(pooled);
        await using var admin = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Stops and removes the clusters whose test process is gone (its pid in the folder's name no longer runs).</summary>
    private async Task RemoveClustersOfDeadRunsAsync()
    {
        foreach (var folder in Directory.GetDirectories("/tmp", FolderPrefix + "*"))
        {
            var owner = Path.GetFileName(folder)[FolderPrefix.Length..].Split('-')[0];
            if (!int.TryParse(owner, out var pid) || Directory.Exists($"/proc/{pid}")) continue; // an older name, or a live run's
            await RunAsync("pg_ctl", "stop", "-w", "-m", "immediate", "-D", folder); // fails harmlessly when it is not running
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Another test process starting at the same moment removed it first.
            }
        }
    }

    private string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username={Superuser};Database={database}";

    private string ReadLog()
    {
        var log = Path.Combine(_folder, "server.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no server.log)";
    }

    /// <summary>The newest installed PostgreSQL's programs (Debian keeps them out of PATH, in /usr/lib/postgresql/N/bin).</summary>
    private static string FindBinaries()
    {
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            "PostgreSQL's initdb and pg_ctl were not found under /usr/lib/postgresql/*/bin: install the postgresql Debian package (./scripts/setup.sh does).");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Runs one of PostgreSQL's programs, as the postgres user when this process is root (initdb refuses root).</summary>
    private async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] args)
    {
        var path = Path.Combine(_binaries!, program);
        var psi = Environment.IsPrivilegedProcess ? new ProcessStartInfo("runuser") : new ProcessStartInfo(path);
        if (Environment.IsPrivilegedProcess)
            foreach (var a in (string[])["-u", "postgres", "--", path]) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.WorkingDirectory = "/tmp"; // the postgres user may not enter the test's folder
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        // The server's own messages go to server.log (-l): it never holds these pipes open.
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Cannot start {psi.FileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within 2 minutes.");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>The tests that use the PostgreSQL server share one cluster (and run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection : ICollectionFixture<PostgreSqlServer>
{
    public const string Name = "postgresql";
}
