using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// The durable flowchart runtime (see <see cref="IWorkflowRuntime"/>). Keeps a driver in memory only while an instance
/// executes; suspended and ended instances live in the database alone. Every write of a running instance carries this
/// process's lease (<see cref="LeaseKeeper"/>), so an instance another live process holds is never taken: recovery
/// leaves it alone and reports who holds it (the CLI's <c>run</c> also only resumes its own timers).
/// </summary>
public sealed class WorkflowRuntime : IWorkflowRuntime, IInstanceHost, IAsyncDisposable
{
    private static readonly TimeSpan StatusPollInterval = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stopping = new();
    private readonly RuntimeServices _services;
    private readonly DefinitionCache _definitions;
    private readonly DurableTimerScheduler _timers;
    private readonly LeaseKeeper _leases;
    private readonly IInstanceLeaseStore _leaseStore;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, InstanceDriver> _drivers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<InstanceDriver?>> _loading = new(StringComparer.Ordinal);
    private readonly HashSet<string> _owned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Waiter>> _waiters = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>Creates the runtime; prefer <c>services.AddMigrationEngine()</c>.</summary>
    public WorkflowRuntime(IWorkflowInstanceStore instances, IInstanceLeaseStore leases, IJournalStore journal, ILedgerStore ledger, IActivityRegistry registry,
        IWorkflowDefinitionLoader loader, IExpressionEvaluator evaluator, WorkflowEventHub events, TimeProvider time,
        IServiceProvider serviceProvider, MigrationEngineOptions options, ILoggerFactory loggerFactory, WorkflowActivityResolver? workflowActivities = null)
    {
        workflowActivities ??= new WorkflowActivityResolver(null, registry);
        _logger = loggerFactory.CreateLogger<WorkflowRuntime>();
        _leaseStore = leases;
        _leases = new LeaseKeeper(leases, time, options, _logger);
        _services = new RuntimeServices(instances, journal, ledger, registry, evaluator, events, time, serviceProvider, options, loggerFactory,
            workflowActivities, _leases, _stopping.Token);
        _definitions = new DefinitionCache(loader, registry, workflowActivities);
        _timers = new DurableTimerScheduler(instances, time, options.TimerPollInterval,
            timer => options.ResumeTimersOfAllInstances || IsOwned(timer.InstanceId),
            (timer, ct) => ResumeBookmarkAsync(timer.InstanceId, timer.Bookmark.Id, null, ct),
            _logger, _stopping.Token);
    }

    public async Task<string> StartAsync(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?>? inputs = null,
        StartWorkflowOptions? options = null, CancellationToken cancellationToken = default)
    {
        await _services.WorkflowActivities.PrepareAsync(definition, cancellationToken);
        var graph = _definitions.Get(definition);
        var resolvedInputs = ResolveInputs(definition, inputs ?? new Dictionary<string, JsonNode?>());
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        await _leases.EnsureStartedAsync(cancellationToken);
        lock (_lock)
            _owned.Add(instanceId);
        _timers.Start();
        await InstanceDriver.StartNewAsync(_services, this, graph, instanceId, resolvedInputs, options?.CorrelationId, cancellationToken);
        return instanceId;
    }

    public Task<WorkflowStatus> WaitForEndAsync(string instanceId, CancellationToken cancellationToken = default) =>
        WaitForStatusAsync(instanceId, s => s.IsTerminal(), cancellationToken);

    public Task<WorkflowStatus> WaitForIdleAsync(string instanceId, CancellationToken cancellationToken = default) =>
        WaitForStatusAsync(instanceId, s => s != WorkflowStatus.Running, cancellationToken);

    public async Task<(string InstanceId, WorkflowStatus Status)> RunToEndAsync(WorkflowDefinition definition,
        IReadOnlyDictionary<string, JsonNode?>? inputs = null, CancellationToken cancellationToken = default)
    {
        var instanceId = await StartAsync(definition, inputs, null, cancellationToken);
        return (instanceId, await WaitForEndAsync(instanceId, cancellationToken));
    }

    public Task<bool> CancelAsync(string instanceId, CancellationToken cancellationToken = default) =>
        WithDriverAsync(instanceId, d => d.CancelAsync(cancellationToken), cancellationToken);

    public Task<bool> ResumeBookmarkAsync(string instanceId, string bookmarkId, JsonNode? input = null, CancellationToken cancellationToken = default) =>
        WithDriverAsync(instanceId, d => d.ResumeAsync(bookmarkId, input, cancellationToken), cancellationToken);

    public async Task<RecoveryReport> RecoverAsync(CancellationToken cancellationToken = default)
    {
        await _leases.EnsureStartedAsync(cancellationToken);
        return await RecoverInstancesAsync(await _services.Instances.ListIdsAsync(WorkflowStatus.Running, cancellationToken), cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListTakeableAsync(CancellationToken cancellationToken = default)
    {
        await _leases.EnsureStartedAsync(cancellationToken);
        var now = _services.Time.GetUtcNow();
        var takeable = new List<string>();
        foreach (var (instanceId, lease) in await _leaseStore.ListRunningNotHeldByAsync(_leases.Identity.Id, cancellationToken))
        {
            lock (_lock)
            {
                if (_drivers.ContainsKey(instanceId) || _loading.ContainsKey(instanceId))
                    continue;
            }
            if (!LeaseRules.IsHeldByOther(lease, _leases.Identity.Id, now) || LocalProcesses.IsGone(lease.HostName, lease.Pid))
                takeable.Add(instanceId);
        }
        return takeable;
    }

    public async Task<string> RegisterHostAsync(CancellationToken cancellationToken = default)
    {
        await _leases.EnsureStartedAsync(cancellationToken);
        return _leases.Identity.Id;
    }

    public async Task<IReadOnlySet<string>> GoneHostsAsync(IReadOnlyCollection<string> hostIds, CancellationToken cancellationToken = default)
    {
        var gone = new HashSet<string>(StringComparer.Ordinal);
        if (hostIds.Count == 0)
            return gone;
        var now = _services.Time.GetUtcNow();
        var rows = (await _leaseStore.ListHostsAsync(cancellationToken)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var id in hostIds)
        {
            if (id == _leases.Identity.Id)
                continue;
            if (!rows.TryGetValue(id, out var row) || !LeaseRules.HostIsLive(row, now, _services.Options.LeaseDuration)
                || LocalProcesses.IsGone(row.HostName, row.Pid))
                gone.Add(id);
        }
        return gone;
    }

    public async Task<RecoveryReport> RecoverInstancesAsync(IReadOnlyCollection<string> instanceIds, CancellationToken cancellationToken = default)
    {
        var recovered = new List<string>();
        var failed = new List<(string, string)>();
        var held = new List<(string, string)>();
        await _leases.EnsureStartedAsync(cancellationToken);
        foreach (var instanceId in instanceIds)
        {
            lock (_lock)
            {
                if (_drivers.ContainsKey(instanceId))
                    continue;
                _owned.Add(instanceId);
            }
            try
            {
                if (await GetDriverAsync(instanceId, cancellationToken) is null)
                {
                    lock (_lock)
                        _owned.Remove(instanceId);
                    continue; // it ended since it was listed
                }
                recovered.Add(instanceId);
                _logger.LogInformation("Recovered workflow instance {InstanceId}", instanceId);
            }
            catch (InstanceHeldException ex)
            {
                lock (_lock)
                    _owned.Remove(instanceId);
                held.Add((instanceId, ex.HeldBy));
                _logger.LogInformation("Left workflow instance {InstanceId} alone: it is {HeldBy}", instanceId, ex.HeldBy);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed.Add((instanceId, ex.Message));
                _logger.LogError(ex, "Could not recover workflow instance {InstanceId}; it stays Running in the database", instanceId);
            }
        }
        _timers.Start();
        return new RecoveryReport(recovered, failed, held);
    }

    /// <summary>Stops executing: running activities see their token cancelled and nothing more is committed, so the
    /// next start recovers these instances by their activities' recovery policies.</summary>
    public async ValueTask DisposeAsync()
    {
        // Idempotent: a host that stops the runtime itself is still disposed by its container afterwards.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stopping.CancelAsync();
        await _timers.DisposeAsync();
        List<Task> executions;
        lock (_lock)
            executions = [.. _drivers.Values.SelectMany(d => d.ExecutionTasks)];
        await Task.WhenAny(Task.WhenAll(executions), Task.Delay(TimeSpan.FromSeconds(10)));
        await _leases.DisposeAsync();
    }

    void IInstanceHost.OnOpened(InstanceDriver driver)
    {
        lock (_lock)
            _drivers[driver.InstanceId] = driver;
    }

    void IInstanceHost.OnCommitted(InstanceDriver driver, WorkflowStatus status, IReadOnlyList<Bookmark> timers)
    {
        foreach (var timer in timers)
            _timers.Nudge(timer.ResumeAt!.Value);
        if (status.IsTerminal())
        {
            lock (_lock)
                _owned.Remove(driver.InstanceId);
        }
        Notify(driver.InstanceId, status, null);
    }

    void IInstanceHost.OnClosed(InstanceDriver driver, Exception? error)
    {
        lock (_lock)
        {
            if (_drivers.GetValueOrDefault(driver.InstanceId) == driver)
                _drivers.Remove(driver.InstanceId);
        }
        if (error is not null)
            Notify(driver.InstanceId, driver.Status, error);
    }

    private bool IsOwned(string instanceId)
    {
        lock (_lock)
            return _owned.Contains(instanceId);
    }

    // A driver that closed between lookup and call answers null: load a fresh one from the database and retry.
    private async Task<bool> WithDriverAsync(string instanceId, Func<InstanceDriver, Task<bool?>> action, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var driver = await GetDriverAsync(instanceId, cancellationToken);
            if (driver is null)
                return false;
            var result = await action(driver);
            if (result is false)
                await driver.CloseIfIdleAsync();
            if (result is not null)
                return result.Value;
        }
        throw new InvalidOperationException($"Workflow instance '{instanceId}' kept changing while being loaded; try again.");
    }

    /// <summary>The in-memory driver, or one loaded from the database (recovering interrupted work); null when the instance has ended.</summary>
    private async Task<InstanceDriver?> GetDriverAsync(string instanceId, CancellationToken cancellationToken)
    {
        Task<InstanceDriver?> loading;
        lock (_lock)
        {
            if (_drivers.TryGetValue(instanceId, out var driver))
                return driver;
            if (!_loading.TryGetValue(instanceId, out loading!))
                _loading[instanceId] = loading = LoadAsync(instanceId, cancellationToken);
        }
        try
        {
            return await loading;
        }
        finally
        {
            lock (_lock)
            {
                if (_loading.GetValueOrDefault(instanceId) == loading)
                    _loading.Remove(instanceId);
            }
        }
    }

    private async Task<InstanceDriver?> LoadAsync(string instanceId, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var record = await _services.Instances.GetAsync(instanceId, cancellationToken)
            ?? throw new KeyNotFoundException($"Workflow instance '{instanceId}' does not exist in {nameof(IWorkflowInstanceStore)}.");
        if (record.Status.IsTerminal())
            return null;
        string? takeover = null;
        if (record.Status == WorkflowStatus.Running)
        {
            // Left Running: another live process may still execute it. Its lease decides; the commit that recovers it
            // takes the lease in the same conditional UPDATE, so a race between two recoveries has one winner.
            await _leases.EnsureStartedAsync(cancellationToken);
            var lease = await _leaseStore.GetAsync(instanceId, cancellationToken);
            var now = _services.Time.GetUtcNow();
            var gone = lease is not null && LocalProcesses.IsGone(lease.HostName, lease.Pid);
            if (lease is not null && !gone && LeaseRules.IsHeldByOther(lease, _leases.Identity.Id, now))
                throw new InstanceHeldException(instanceId, LeaseRules.DescribeHolder(lease, now));
            takeover = lease is null ? null : LeaseRules.TakeoverReason(lease, _leases.Identity.Id, now, gone);
            if (gone)
                await _leaseStore.ReleaseAsync(lease!.Holder!, cancellationToken); // on its behalf: it cannot renew any more
        }
        if (Json.DefinitionReader.Read(record.DefinitionJson).Definition is { } stored)
            await _services.WorkflowActivities.PrepareAsync(stored, cancellationToken);
        var graph = _definitions.Get(record.DefinitionJson);
        if (record.Status != WorkflowStatus.Running)
            await _leases.EnsureStartedAsync(cancellationToken);
        return await InstanceDriver.LoadAsync(_services, this, graph, record, takeover, cancellationToken);
    }

    private async Task<WorkflowStatus> WaitForStatusAsync(string instanceId, Func<WorkflowStatus, bool> predicate, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(predicate);
        lock (_lock)
        {
            if (!_waiters.TryGetValue(instanceId, out var list))
                _waiters[instanceId] = list = [];
            list.Add(waiter);
        }
        try
        {
            while (true)
            {
                var status = await CurrentStatusAsync(instanceId, cancellationToken);
                if (predicate(status))
                    return status;
                // Another process may change the instance (e.g. the server resuming a timer): poll now and then.
                await Task.WhenAny(waiter.Completion.Task, Task.Delay(StatusPollInterval, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
                if (waiter.Completion.Task.IsCompleted)
                    return await waiter.Completion.Task;
            }
        }
        finally
        {
            lock (_lock)
            {
                if (_waiters.TryGetValue(instanceId, out var list) && list.Remove(waiter) && list.Count == 0)
                    _waiters.Remove(instanceId);
            }
        }
    }

    private async Task<WorkflowStatus> CurrentStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        InstanceDriver? driver;
        lock (_lock)
            driver = _drivers.GetValueOrDefault(instanceId);
        if (driver is not null)
            return driver.Status;
        var record = await _services.Instances.GetAsync(instanceId, cancellationToken)
            ?? throw new KeyNotFoundException($"Workflow instance '{instanceId}' does not exist.");
        return record.Status;
    }

    private void Notify(string instanceId, WorkflowStatus status, Exception? error)
    {
        List<Waiter> matching;
        lock (_lock)
        {
            if (!_waiters.TryGetValue(instanceId, out var list))
                return;
            matching = [.. list.Where(w => error is not null || w.Predicate(status))];
        }
        foreach (var waiter in matching)
        {
            if (error is null)
                waiter.Completion.TrySetResult(status);
            else
                waiter.Completion.TrySetException(new InvalidOperationException(
                    $"Workflow instance '{instanceId}' stopped executing in this process: {error.Message}. It is recovered at the next start.", error));
        }
    }

    private static Dictionary<string, JsonNode?> ResolveInputs(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?> given)
    {
        var problems = WorkflowInputChecks.Check(definition, given);
        if (problems.Count > 0)
            throw new ArgumentException($"Workflow '{definition.DefinitionId}' cannot start: {string.Join(" ", problems)}");
        var resolved = given.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal);
        foreach (var input in definition.Inputs)
        {
            if (!resolved.ContainsKey(input.Name) && input.DefaultValue is not null)
                resolved[input.Name] = input.DefaultValue.DeepClone();
        }
        // Declared inputs hold their declared type (Elsa converts them too): "42" for an Int32 input is the number 42.
        foreach (var input in definition.Inputs.Where(i => resolved.ContainsKey(i.Name)))
        {
            try
            {
                resolved[input.Name] = VariableTypes.Convert(resolved[input.Name], input.TypeName, $"input '{input.Name}'");
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"Workflow '{definition.DefinitionId}': {e.Message}", e);
            }
        }
        return resolved;
    }

    private sealed class Waiter(Func<WorkflowStatus, bool> predicate)
    {
        public Func<WorkflowStatus, bool> Predicate { get; } = predicate;
        public TaskCompletionSource<WorkflowStatus> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
