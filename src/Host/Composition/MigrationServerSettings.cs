namespace Elsa.Migration.Host.Composition;

/// <summary>How to start the server (from <c>serve</c>'s options, or from a test).</summary>
/// <param name="Urls">Kestrel addresses; default <see cref="MigrationServer.DefaultUrl"/> (loopback only).</param>
/// <param name="DatabasePath">The SQLite file or PostgreSQL connection string shared with the CLI (default: <c>Database:ConnectionString</c>, <c>Database:Path</c>, else the engine's default path).</param>
/// <param name="Configuration">Extra settings, e.g. <c>Migrations:MaxConcurrentPerNode=1</c> (override appsettings and environment).</param>
/// <param name="ConfigureServices">Last-word service changes (tests replace the token announcer).</param>
/// <param name="ActivityAssemblies">More assemblies to scan for activities (a test's own VmMigration activity).</param>
public sealed record MigrationServerSettings(
    string? Urls = null,
    string? DatabasePath = null,
    IReadOnlyDictionary<string, string?>? Configuration = null,
    Action<IServiceCollection>? ConfigureServices = null,
    string[]? Args = null,
    IReadOnlyList<System.Reflection.Assembly>? ActivityAssemblies = null);
