using Elsa.Migration.Engine.Tests.Persistence;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary>The CLI on PostgreSQL: <c>--db</c> takes a connection string; a bad one is refused with what is wrong.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class CliPostgreSqlTests(PostgreSqlServer server) : IAsyncLifetime
{
    private string _db = "";

    public async Task InitializeAsync() => _db = await server.CreateDatabaseAsync();

    public Task DisposeAsync() => server.DropDatabaseAsync(_db);

    [Fact]
    public async Task Run_then_instances_and_show_with_a_connection_string_as_db_use_the_postgresql_database()
    {
        var sample = CliTests.RepositoryFile("workflows/sample-hello.json");
        var (exitCode, output, error) = await CliProcess.RunAsync("/nonexistent/unused.db", "--db", _db, "run", sample, "--input", "Operator=Tester");

        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains($"Database: PostgreSQL 127.0.0.1:{server.Port}/", output);
        Assert.DoesNotContain("Password", output + error);
        var instanceId = output.Split('\n').Single(l => l.StartsWith("Instance ", StringComparison.Ordinal) && l.Contains("ended Finished")).Split(' ')[1];
        var (listExit, list, _) = await CliProcess.RunAsync("/nonexistent/unused.db", "--db", _db, "instances");
        Assert.Equal(0, listExit);
        Assert.Contains(instanceId, list);
        var (showExit, show, _) = await CliProcess.RunAsync("/nonexistent/unused.db", "--db", _db, "show", instanceId);
        Assert.Equal(0, showExit);
        Assert.Contains("Status     Finished", show);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Databse=elsa", "Databse")]
    [InlineData("Database=elsa;Username=elsa", "names no Host")]
    public async Task A_bad_connection_string_is_refused_naming_what_is_wrong(string db, string named)
    {
        var (exitCode, output, error) = await CliProcess.RunAsync("/nonexistent/unused.db", "--db", db, "instances");

        Assert.NotEqual(0, exitCode);
        Assert.Contains(named, output + error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Host=", output + error);
        Assert.DoesNotContain("Unhandled exception", output + error);
    }

    [Fact]
    public async Task A_bad_connection_string_in_ELSA_MIGRATION_DB_is_refused_naming_the_variable()
    {
        // Without --db: the environment's value is what the command would open.
        var (exitCode, output, error) = await CliProcess.RunAsync("Host=127.0.0.1;Databse=elsa", "schedule", "list");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("$ELSA_MIGRATION_DB: 'Databse'", output + error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Unhandled exception", output + error);
    }
}
