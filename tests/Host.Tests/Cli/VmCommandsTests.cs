using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Qemu;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary>
/// <c>./elsa-migrate vm start|stop|status</c> as users meet it: the built CLI as a process, against the inventory of a
/// real lab (zfs-fuse pools, a guest-less VM whose disk is a file on the node's pool) and real QEMU (TCG).
/// Every assertion about QEMU is made from outside the CLI: QMP on the VM's socket, its pid file, /proc.
/// </summary>
[Collection("zfs")]
public sealed class VmCommandsTests(ITestOutputHelper output)
{
    private const string VmId = "vmcli";
    private const string Node = "lab-a";
    private const string Other = "lab-b";

    [Fact(Timeout = 240_000)]
    public async Task Vm_start_status_stop_drive_the_VMs_QEMU_and_a_second_start_is_refused()
    {
        RequireTools("zfs-fuse", "zpool", "qemu-system-x86_64");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3.5));
        var ct = cts.Token;
        var lab = await CreateLabAsync(ct);
        try
        {
            var paths = lab.Inventory.RuntimePaths(VmId, Node);

            var before = await VmAsync(lab, "status", ct);
            Assert.True(before.ExitCode == 3, $"status of a stopped VM must exit 3\n{before}");
            Assert.Contains($"{VmId} on {Node}: stopped", before.Output);

            var start = await VmAsync(lab, "start", ct);
            Assert.True(start.ExitCode == 0, $"vm start failed\n{start}");
            var pid = ReadPid(paths.PidFile);
            Assert.Contains($"started {VmId} on {Node}: pid {pid}, qmp {paths.QmpSocket}", start.Output);
            Assert.Equal([pid], LabQemuPids(lab));
            await using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, cancellationToken: ct))
                Assert.Equal(RunState.Running, (await qmp.QueryStatusAsync(ct)).Status);

            var again = await VmAsync(lab, "start", ct);
            Assert.True(again.ExitCode == 1, $"a second start must be refused with exit 1\n{again}");
            Assert.Contains($"error: VM '{VmId}' already runs on node '{Node}' (pid {pid}); stop it first.", again.Error);
            Assert.Equal([pid], LabQemuPids(lab)); // still the first QEMU, and only it

            var running = await VmAsync(lab, "status", ct);
            Assert.True(running.ExitCode == 0, $"status of a running VM must exit 0\n{running}");
            Assert.Contains($"{VmId} on {Node}: running, pid {pid}, state running, qmp {paths.QmpSocket}", running.Output);

            var stop = await VmAsync(lab, "stop", ct);
            Assert.True(stop.ExitCode == 0, $"vm stop failed\n{stop}");
            Assert.Contains($"stopped {VmId} on {Node}", stop.Output);
            Assert.Empty(LabQemuPids(lab));
            Assert.False(File.Exists($"/proc/{pid}/cmdline"), $"QEMU pid {pid} is still alive after vm stop");
            Assert.False(File.Exists(paths.PidFile), "vm stop left the pid file");
            Assert.False(File.Exists(paths.QmpSocket), "vm stop left the QMP socket");

            var after = await VmAsync(lab, "status", ct);
            Assert.True(after.ExitCode == 3, $"status after stop must exit 3\n{after}");
            var stopAgain = await VmAsync(lab, "stop", ct);
            Assert.True(stopAgain.ExitCode == 0, $"stopping a stopped VM is not an error\n{stopAgain}");
            Assert.Contains($"{VmId} was not running on {Node}", stopAgain.Output);
        }
        finally
        {
            await TearDownAsync(lab);
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task Vm_start_with_an_unknown_node_or_an_injection_attempt_is_refused_with_exit_1_and_starts_nothing()
    {
        RequireTools("zfs-fuse", "zpool", "qemu-system-x86_64");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3.5));
        var ct = cts.Token;
        var lab = await CreateLabAsync(ct);
        try
        {
            var marker = Path.Combine(lab.Directory, "injected");
            var attempts = new (string Node, string VmId, string Expected)[]
            {
                ("lab-z", VmId, "unknown node 'lab-z'; known nodes: lab-a, lab-b"),
                ($"{Node}; touch {marker}", VmId, "unknown node"),
                (Node, $"{VmId}; touch {marker}", $"unknown VM '{VmId}; touch {marker}'; known VMs: {VmId}"),
                (Node, $"$(touch {marker})", "unknown VM"),
                (Node, $"../{VmId}", "unknown VM"),
            };
            foreach (var (node, vmId, expected) in attempts)
            {
                foreach (var verb in new[] { "start", "status", "stop" })
                {
                    var result = await CliAsync(lab, ct, "vm", verb, "--inventory", lab.InventoryPath, "--node", node, vmId);
                    Assert.True(result.ExitCode == 1, $"vm {verb} --node '{node}' '{vmId}' must exit 1\n{result}");
                    Assert.Contains("error: Not in the inventory: " + expected, result.Error);
                    Assert.Empty(LabQemuPids(lab));
                    Assert.False(File.Exists(marker), $"vm {verb} --node '{node}' '{vmId}' ran the injected command");
                }
            }

            // The refusals above were not because QEMU cannot start here: the real VM starts from the same inventory.
            var start = await VmAsync(lab, "start", ct);
            Assert.True(start.ExitCode == 0, $"vm start failed\n{start}");
            Assert.Single(LabQemuPids(lab));
        }
        finally
        {
            await TearDownAsync(lab);
        }
    }

    [Fact(Timeout = 240_000)]
    public Task Vm_commands_on_a_node_that_cannot_be_asked_answer_unknown_and_a_start_elsewhere_needs_force() => InLabAsync(async (lab, ct) =>
    {
        // lab-b reached over ssh on a port nothing listens on: ssh itself fails (exit 255), as with a stopped sshd.
        var port = ClosedPort();
        var inventory = Path.Combine(lab.Directory, "unreachable-b.json");
        await (lab.Inventory with
        {
            Nodes = [.. lab.Inventory.Nodes.Select(n => n.Name != Other ? n : n with
            {
                Transport = new TransportDefinition
                {
                    Kind = "ssh", Host = "127.0.0.1", Port = port, User = Environment.UserName,
                    IdentityFile = Path.Combine(lab.Directory, "no_key"), KnownHostsFile = Path.Combine(lab.Directory, "known_hosts"),
                },
            })],
        }).SaveAsync(inventory, ct);
        Task<CliResult> Vm(string verb, string node, params string[] extra) =>
            CliAsync(lab, ct, ["vm", verb, "--inventory", inventory, "--node", node, .. extra, VmId]);

        var status = await Vm("status", Other);
        Assert.True(status.ExitCode == 4, $"status on an unreachable node must exit 4 (neither 0 running nor 3 stopped)\n{status}");
        Assert.Contains($"{VmId} on {Other}: unknown (ssh exited 255", status.Output);
        Assert.DoesNotContain("stopped", status.Output);
        Assert.Contains($"unknown: Could not ask node '{Other}' (ssh {Environment.UserName}@127.0.0.1:{port})", status.Error);

        var stop = await Vm("stop", Other);
        Assert.True(stop.ExitCode == 4, $"stop on an unreachable node must exit 4\n{stop}");
        Assert.DoesNotContain("was not running", stop.Output);

        var start = await Vm("start", Node);
        Assert.True(start.ExitCode == 4, $"a start while the other node cannot be asked must be refused with exit 4\n{start}");
        Assert.Contains($"error: not starting VM '{VmId}' on '{Node}': it may run on '{Other}'", start.Error);
        Assert.Empty(LabQemuPids(lab));

        var forced = await Vm("start", Node, "--force");
        Assert.True(forced.ExitCode == 0, $"vm start --force failed\n{forced}");
        Assert.Contains($"warning: Could not ask node '{Other}'", forced.Error);
        Assert.Equal([ReadPid(lab.Inventory.RuntimePaths(VmId, Node).PidFile)], LabQemuPids(lab));
    }, "ssh");

    [Fact(Timeout = 240_000)]
    public Task Vm_start_is_refused_while_the_VM_runs_on_another_node() => InLabAsync(async (lab, ct) =>
    {
        var start = await VmAsync(lab, "start", ct);
        Assert.True(start.ExitCode == 0, $"vm start failed\n{start}");
        var pid = ReadPid(lab.Inventory.RuntimePaths(VmId, Node).PidFile);

        var elsewhere = await CliAsync(lab, ct, "vm", "start", "--inventory", lab.InventoryPath, "--node", Other, "--force", VmId);

        Assert.True(elsewhere.ExitCode == 1, $"a start while the VM runs on {Node} must be refused, --force or not\n{elsewhere}");
        Assert.Contains($"error: VM '{VmId}' runs on node '{Node}' (pid {pid})", elsewhere.Error);
        Assert.Equal([pid], LabQemuPids(lab));
    });

    [Fact(Timeout = 240_000)]
    public Task Vm_commands_read_a_registered_site_with_site_and_refuse_a_path_an_unknown_site_or_both_sources() => InLabAsync(async (lab, ct) =>
    {
        var imported = await CliAsync(lab, ct, "site", "import", lab.InventoryPath, "--name", "lab");
        Assert.True(imported.ExitCode == 0, $"site import failed\n{imported}");

        var start = await CliAsync(lab, ct, "vm", "start", "--site", "lab", "--node", Node, VmId);
        Assert.True(start.ExitCode == 0, $"vm start --site failed\n{start}");
        var pid = ReadPid(lab.Inventory.RuntimePaths(VmId, Node).PidFile);
        Assert.Equal([pid], LabQemuPids(lab));
        var status = await CliAsync(lab, ct, "vm", "status", "--site", "lab", "--node", Node, VmId);
        Assert.True(status.ExitCode == 0, $"vm status --site must say running\n{status}");

        var path = await CliAsync(lab, ct, "vm", "stop", "--site", lab.InventoryPath, "--node", Node, VmId);
        Assert.True(path.ExitCode == 1, $"a path given as --site must be refused\n{path}");
        Assert.Contains($"Invalid site name '{lab.InventoryPath}'", path.Error);
        var unknown = await CliAsync(lab, ct, "vm", "stop", "--site", "nosuch", "--node", Node, VmId);
        Assert.True(unknown.ExitCode == 1, $"an unknown site must be refused\n{unknown}");
        Assert.Contains("No site 'nosuch' is registered: register its inventory with './elsa-migrate site import FILE --name nosuch'", unknown.Error);
        var both = await CliAsync(lab, ct, "vm", "stop", "--site", "lab", "--inventory", lab.InventoryPath, "--node", Node, VmId);
        Assert.True(both.ExitCode == 1, $"--site with --inventory must be refused\n{both}");
        Assert.Equal([pid], LabQemuPids(lab)); // none of the refused stops touched the VM

        var stop = await CliAsync(lab, ct, "vm", "stop", "--site", "lab", "--node", Node, VmId);
        Assert.True(stop.ExitCode == 0, $"vm stop --site failed\n{stop}");
        Assert.Empty(LabQemuPids(lab));
    });

    /// <summary>Runs <paramref name="test"/> in a fresh lab (QEMU and zfs-fuse required), torn down also when it fails.</summary>
    private static async Task InLabAsync(Func<LabEnvironment, CancellationToken, Task> test, params string[] moreTools)
    {
        RequireTools(["zfs-fuse", "zpool", "qemu-system-x86_64", .. moreTools]);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3.5));
        var lab = await CreateLabAsync(cts.Token);
        try
        {
            await test(lab, cts.Token);
        }
        finally
        {
            await TearDownAsync(lab);
        }
    }

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed record CliResult(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    private Task<CliResult> VmAsync(LabEnvironment lab, string verb, CancellationToken ct) =>
        CliAsync(lab, ct, "vm", verb, "--inventory", lab.InventoryPath, "--node", Node, VmId);

    private async Task<CliResult> CliAsync(LabEnvironment lab, CancellationToken ct, params string[] arguments)
    {
        ct.ThrowIfCancellationRequested();
        // A database inside the lab dir: the CLI never touches the default one, and teardown removes it.
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(Path.Combine(lab.Directory, "cli.db"), arguments);
        output.WriteLine($"$ elsa-migrate {string.Join(' ', arguments.Select(a => $"'{a}'"))} -> {exitCode}\n{stdout}{stderr}");
        return new CliResult(exitCode, stdout, stderr);
    }

    private static async Task<LabEnvironment> CreateLabAsync(CancellationToken ct)
    {
        var lab = await LabEnvironment.CreateAsync(new LabOptions { PoolSizeBytes = 128L << 20 }, cancellationToken: ct);
        try
        {
            // Guest-less: one small raw disk and no OS; the firmware idles, which is all vm start|stop|status need.
            await lab.AddVmAsync(lab.DefineVm(VmId, (DiskKind.Local, 8L << 20)), ct);
            await lab.CreateDisksAsync(VmId, Node, ct);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private static async Task TearDownAsync(LabEnvironment lab)
    {
        var pids = LabQemuPids(lab);
        await lab.DisposeAsync();
        Assert.False(Directory.Exists(lab.Directory), $"teardown left {lab.Directory}");
        Assert.All(pids, pid => Assert.False(File.Exists($"/proc/{pid}/cmdline"), $"QEMU pid {pid} survived teardown"));
    }

    private static int ReadPid(string pidFile)
    {
        Assert.True(File.Exists(pidFile), $"no pid file at {pidFile}");
        return int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Live QEMU processes whose command line names a file of this lab (only this test's VMs).</summary>
    private static List<int> LabQemuPids(LabEnvironment lab)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // the process ended while we looked
            }
            if (argv[0].Contains("qemu-system", StringComparison.Ordinal) && argv.Any(a => a.Contains(lab.Directory + "/", StringComparison.Ordinal)))
                pids.Add(pid);
        }
        return pids;
    }

    private static void RequireTools(params string[] programs)
    {
        foreach (var program in programs)
        {
            var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"])
                .Any(d => File.Exists(Path.Combine(d, program)));
            Assert.True(found, $"'{program}' is required for this test but is not installed: run ./scripts/setup.sh (installs qemu-system-x86, zfs-fuse).");
        }
    }
}
