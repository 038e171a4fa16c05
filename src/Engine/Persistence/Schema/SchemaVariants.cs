using Elsa.Migration.Engine.Persistence.Sql;

namespace Elsa.Migration.Engine.Persistence.Schema;

/// <summary>One schema in each engine's SQL: the same tables, each engine's own numbered scripts and version table.</summary>
public sealed record SchemaVariants(SchemaMigrations Sqlite, SchemaMigrations PostgreSql)
{
    /// <summary>The scripts for <paramref name="engine"/>.</summary>
    public SchemaMigrations For(DatabaseEngine engine) => engine switch
    {
        DatabaseEngine.Sqlite => Sqlite,
        DatabaseEngine.PostgreSql => PostgreSql,
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, "Unknown database engine."),
    };
}
