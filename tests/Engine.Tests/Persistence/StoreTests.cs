using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Microsoft.Extensions.Time.Testing;

namespace Elsa.Migration.Engine.Tests.Persistence;

/// <summary>The stores on SQLite.</summary>
public sealed class SqliteStoreTests() : StoreTests(null, DatabaseEngine.Sqlite);

/// <summary>The same tests on PostgreSQL.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlStoreTests(PostgreSqlServer server) : StoreTests(server, DatabaseEngine.PostgreSql);

/// <summary>The engine's stores against a fresh database per test, once per engine (the derived classes above).</summary>
public abstract class StoreTests(PostgreSqlServer? server, DatabaseEngine engine) : StoreTestBase(server, engine)
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task DefinitionStore_ShouldVersionDraftsAndKeepOnePublishedVersion()
    {
        var store = new SqlWorkflowDefinitionStore(Database, _time);
        var ct = CancellationToken.None;

        var first = await store.SaveDraftAsync("live", "Live", """{"definitionId":"live","name":"Live","x":1}""", ct);
        var edited = await store.SaveDraftAsync("live", "Live", """{"definitionId":"live","name":"Live","x":2}""", ct);
        var published = await store.PublishAsync("live", null, ct);
        var second = await store.SaveDraftAsync("live", "Live v2", """{"definitionId":"live","name":"Live v2","x":3}""", ct);

        Assert.Equal(1, first.Version);
        Assert.Equal(1, edited.Version);
        Assert.True(published.IsPublished);
        Assert.Equal(2, second.Version);
        Assert.False(second.IsPublished);
        Assert.Equal(1, (await store.GetPublishedAsync("live", ct))!.Version);
        Assert.Equal(2, (await store.GetLatestAsync("live", ct))!.Version);
        Assert.Equal([2, 1], (await store.ListVersionsAsync("live", ct)).Select(v => v.Version));
        var document = JsonNode.Parse((await store.GetVersionAsync("live", 1, ct))!.Json)!;
        Assert.Equal(2, document["x"]!.GetValue<int>());
        Assert.True(document["isPublished"]!.GetValue<bool>());
        Assert.False(document["isLatest"]!.GetValue<bool>());

        await store.PublishAsync("live", 2, ct);
        Assert.False((await store.GetVersionAsync("live", 1, ct))!.IsPublished);
        Assert.Equal("Live v2", Assert.Single(await store.ListLatestAsync(ct)).Name);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.PublishAsync("live", 7, ct));
        Assert.True(await store.DeleteAsync("live", ct));
        Assert.Null(await store.GetLatestAsync("live", ct));
    }

    [Fact]
    public async Task InstanceStore_Commit_ShouldWriteStateBookmarksAndJournalInOneTransaction()
    {
        var store = new SqlWorkflowInstanceStore(Database);
        var ct = CancellationToken.None;
        var now = _time.GetUtcNow();
        await store.CreateAsync(new WorkflowInstanceRecord("i1", "d", 1, "D", "{}", WorkflowStatus.Running, [], [], "{}", null, now, now, null, "vm-100"),
            [new JournalEntry(0, "i1", now, JournalKind.Status, Message: "Running")], null, ct);
        var timer = new Bookmark("b1", "delay", "Delay", new JsonObject { ["k"] = 1 }, now.AddMinutes(5));

        var stored = await store.CommitAsync(new InstanceCommit("i1", WorkflowStatus.Suspended, new JsonObject { ["v"] = "x" }, """{"running":[]}""", null, now,
            null, [timer], [new JournalEntry(0, "i1", now, JournalKind.ActivitySuspended, "delay", "Elsa.Delay")]), ct);

        Assert.True(stored.Single().Id > 1);
        var instance = await store.GetAsync("i1", ct);
        Assert.Equal(WorkflowStatus.Suspended, instance!.Status);
        Assert.Equal("x", instance.Variables["v"]!.GetValue<string>());
        Assert.Equal(timer.ResumeAt, Assert.Single(await store.GetTimersDueAsync(now.AddMinutes(5), 10, ct)).Bookmark.ResumeAt);
        Assert.Empty(await store.GetTimersDueAsync(now.AddMinutes(4), 10, ct));
        Assert.Equal(now.AddMinutes(5), await store.GetNextTimerAsync(ct));
        Assert.Equal("i1", Assert.Single(await store.ListAsync(new InstanceQuery(CorrelationId: "vm-100"), ct)).Id);

        // A commit that fails part-way (unknown instance) leaves nothing behind.
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.CommitAsync(new InstanceCommit("missing", WorkflowStatus.Running, [], "{}", null, now, null, [],
            [new JournalEntry(0, "missing", now, JournalKind.Status)]), ct));
        Assert.Equal(2, (await new SqlJournalStore(Database).ReadAsync("i1", 0, 100, ct)).Count);
        Assert.Empty(await new SqlJournalStore(Database).ReadAsync("missing", 0, 100, ct));
    }

    [Fact]
    public async Task InstanceStore_TakingCommit_ShouldBeRefusedWhenAnotherProcessCommittedSinceItRead()
    {
        // Two hosts load the same suspended instance (its timer is due on both); B resumes it, finishes and lets the lease
        // go; A's take, from the state it read before, must be refused: a free lease alone would let it run again.
        var store = new SqlWorkflowInstanceStore(Database);
        var ct = CancellationToken.None;
        var created = _time.GetUtcNow();
        await store.CreateAsync(new WorkflowInstanceRecord("i1", "d", 1, "D", "{}", WorkflowStatus.Running, [], [], "{}", null, created, created, null),
            [], new LeaseClaim("host-a", created, created.AddSeconds(10), Takes: true), ct);
        var suspendedAt = created.AddSeconds(1);
        await store.CommitAsync(new InstanceCommit("i1", WorkflowStatus.Suspended, [], "{}", null, suspendedAt, null, null, [],
            Lease: new LeaseClaim("host-a", suspendedAt, suspendedAt.AddSeconds(10), Takes: false)), ct);
        var readByBoth = (await store.GetAsync("i1", ct))!.UpdatedAt;
        Assert.Equal(suspendedAt, readByBoth);

        var finishedAt = created.AddSeconds(2);
        await store.CommitAsync(new InstanceCommit("i1", WorkflowStatus.Finished, [], "{}", null, finishedAt, finishedAt, null,
            [new JournalEntry(0, "i1", finishedAt, JournalKind.ActivityCompleted, "delay", "Elsa.Delay", Host: "host-b")],
            Lease: new LeaseClaim("host-b", finishedAt, finishedAt.AddSeconds(10), Takes: true, LastSeen: readByBoth)), ct);
        var late = created.AddSeconds(3);
        var refused = await Assert.ThrowsAsync<InstanceHeldException>(() => store.CommitAsync(new InstanceCommit("i1", WorkflowStatus.Running, [], "{}", null,
            late, null, null, [new JournalEntry(0, "i1", late, JournalKind.ActivityCompleted, "delay", "Elsa.Delay", Host: "host-a")],
            Lease: new LeaseClaim("host-a", late, late.AddSeconds(10), Takes: true, LastSeen: readByBoth)), ct));

        Assert.Contains("changed it since this one read it", refused.Message);
        Assert.Equal(WorkflowStatus.Finished, (await store.GetAsync("i1", ct))!.Status);
        Assert.Equal(["host-b"], (await new SqlJournalStore(Database).ReadAsync("i1", 0, 100, ct)).Select(e => e.Host));
    }

    [Fact]
    public async Task JournalStore_ShouldKeepTheHostThatWroteEachEntry_NullWhereNoneWasGiven()
    {
        var instances = new SqlWorkflowInstanceStore(Database);
        var journal = new SqlJournalStore(Database);
        var ct = CancellationToken.None;
        var now = _time.GetUtcNow();
        await instances.CreateAsync(new WorkflowInstanceRecord("i1", "d", 1, "D", "{}", WorkflowStatus.Running, [], [], "{}", null, now, now, null, null),
            [new JournalEntry(0, "i1", now, JournalKind.Status, Message: "Running", Host: "a-11-aaaa")], null, ct);
        await journal.AppendAsync(new JournalEntry(0, "i1", now, JournalKind.Progress, "copy", "T.Copy", Message: "1 MiB", Host: "a-11-aaaa"), ct);
        await instances.CommitAsync(new InstanceCommit("i1", WorkflowStatus.Running, [], "{}", null, now, null, null,
            [new JournalEntry(0, "i1", now, JournalKind.Message, Message: "Taken over", Host: "b-22-bbbb")]), ct);
        await journal.AppendAsync(new JournalEntry(0, "i1", now, JournalKind.Message, Message: "no host"), ct);

        var entries = await journal.ReadAsync("i1", 0, 100, ct);

        Assert.Equal(["a-11-aaaa", "a-11-aaaa", "b-22-bbbb", null], entries.Select(e => e.Host));
        Assert.Equal(["Running", "1 MiB", "Taken over", "no host"], entries.Select(e => e.Message));
    }

    [Fact]
    public async Task LedgerStore_Confirm_ShouldMergeTheMarkIntoTheDetailsOfAnUnreleasedEntryOnly()
    {
        var instances = new SqlWorkflowInstanceStore(Database);
        var ledger = new SqlLedgerStore(Database);
        var ct = CancellationToken.None;
        var now = _time.GetUtcNow();
        await instances.CreateAsync(new WorkflowInstanceRecord("i3", "d", 1, "D", "{}", WorkflowStatus.Running, [], [], "{}", null, now, now, null), [], null, ct);
        var withDetails = await ledger.RecordAsync("i3", "a1", "target-qemu", "node-b", "vm-100", new JsonObject { ["pidFile"] = "/run/q.pid" }, now, ct);
        var withoutDetails = await ledger.RecordAsync("i3", "a2", "snapshot", "node-a", "tank/vm-100@mig", null, now, ct);
        var released = await ledger.RecordAsync("i3", "a3", "snapshot", "node-a", "tank/vm-100@old", null, now, ct);
        await ledger.ReleaseAsync("i3", released.Id, now, ct);

        Assert.True(await ledger.ConfirmAsync("i3", withDetails.Id, new JsonObject { ["pid"] = 42 }, now.AddSeconds(1), ct));
        Assert.True(await ledger.ConfirmAsync("i3", withoutDetails.Id, null, now.AddSeconds(2), ct));
        Assert.False(await ledger.ConfirmAsync("i3", released.Id, null, now, ct));
        Assert.False(await ledger.ConfirmAsync("other", withDetails.Id, null, now, ct));

        var entries = await ledger.ListAsync("i3", ct);
        Assert.Equal("""{"pidFile":"/run/q.pid","pid":42}""", entries[0].Details!.ToJsonString());
        Assert.Equal(now.AddSeconds(1), entries[0].ConfirmedAt);
        Assert.Equal("{}", entries[1].Details!.ToJsonString());
        Assert.Equal(now.AddSeconds(2), entries[1].ConfirmedAt);
        Assert.Null(entries[2].ConfirmedAt);
    }

    [Fact]
    public async Task LedgerStore_ShouldRecordReleaseAndListEntries()
    {
        var instances = new SqlWorkflowInstanceStore(Database);
        var ledger = new SqlLedgerStore(Database);
        var ct = CancellationToken.None;
        var now = _time.GetUtcNow();
        await instances.CreateAsync(new WorkflowInstanceRecord("i2", "d", 1, "D", "{}", WorkflowStatus.Running, [], [], "{}", null, now, now, null), [], null, ct);

        var bitmap = await ledger.RecordAsync("i2", "a1", "dirty-bitmap", "node-a", "drive0/mig", new JsonObject { ["node"] = "drive0" }, now, ct);
        await ledger.RecordAsync("i2", "a2", "snapshot", "node-a", "tank/vm-100@mig", null, now, ct);

        Assert.True(await ledger.ReleaseAsync("i2", bitmap.Id, now.AddMinutes(1), ct));
        Assert.False(await ledger.ReleaseAsync("i2", bitmap.Id, now.AddMinutes(2), ct));
        var entries = await ledger.ListAsync("i2", ct);
        Assert.Equal(["drive0/mig", "tank/vm-100@mig"], entries.Select(e => e.Name));
        Assert.Equal(now.AddMinutes(1), entries[0].ReleasedAt);
        Assert.Equal("drive0", entries[0].Details!["node"]!.GetValue<string>());
        Assert.Null(entries[1].ReleasedAt);
    }
}
