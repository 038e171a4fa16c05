using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Host.Api;
using Elsa.Migration.Host.Auth;
using Elsa.Migration.Host.Pages;
using Elsa.Migration.Host.Scheduling;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Sites;
using Elsa.Migration.Host.Studio;

namespace Elsa.Migration.Host.Composition;

/// <summary>The server's composition: a short list of AddX / MapX.</summary>
public static class MigrationServer
{
    /// <summary>Loopback only by default; remote clients also need <c>Server:AllowRemote=true</c>.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The Host headers accepted unless <c>AllowedHosts</c> (or <c>serve --allowed-hosts</c>) says otherwise:
    /// loopback names. A server reached by another name (with <c>--allow-remote</c>) must list it.</summary>
    public const string DefaultAllowedHosts = "localhost;127.0.0.1;[::1]";

    public static WebApplication Build(MigrationServerSettings settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = settings.Args ?? [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (settings.Configuration is not null)
            builder.Configuration.AddInMemoryCollection(settings.Configuration);
        builder.WebHost.UseUrls(settings.Urls ?? builder.Configuration["urls"] ?? DefaultUrl);
        // ASP.NET Core's host filtering (400 for any other Host header) reads AllowedHosts; unset it would allow any.
        builder.Configuration["AllowedHosts"] ??= DefaultAllowedHosts;
        builder.Logging.AddPathOnlyRequestLog();
        // Colours are ANSI sequences, which the CLI's control-character escaping (Cli/CliConsole) would print as text.
        builder.Logging.AddSimpleConsole(o => o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled);
        // Long enough for running activities to persist their state; instances still running stay Running in the
        // database and are recovered by the next start (IWorkflowRuntime.RecoverAsync).
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSingleton(TimeProvider.System);
        services.AddMigrationRuntime(settings.DatabasePath ?? configuration["Database:ConnectionString"] ?? configuration["Database:Path"],
            o =>
            {
                o.ActivityAssemblies.AddRange(settings.ActivityAssemblies ?? []);
                o.LeaseRenewInterval = configuration.GetValue<TimeSpan?>("Leases:RenewInterval") ?? o.LeaseRenewInterval;
                o.LeaseDuration = configuration.GetValue<TimeSpan?>("Leases:Duration") ?? o.LeaseDuration;
            });
        services.AddHostPersistence();
        services.AddDefinitionTriggers();
        services.AddSites(configuration);
        services.AddApiTokenAuth(configuration);
        services.AddMigrationAdmission(configuration);
        services.AddMigrationLockRelease();
        services.AddMigrationScheduling(configuration);
        services.AddStudioFacade(configuration);
        services.AddMigrationApi();
        settings.ConfigureServices?.Invoke(services);

        var app = builder.Build();
        var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        QuartzLogging.Attach(loggerFactory);
        app.Lifetime.ApplicationStopped.Register(() => QuartzLogging.Detach(loggerFactory));
        app.UseRequestLog();
        app.UseMiddleware<SecurityHeaders>();
        app.UseApiProblems();
        app.UseMiddleware<LoopbackOnlyMiddleware>();
        app.UseHostPages();
        app.UseStudioAssets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapMigrationApi();
        app.MapStudioFacade();
        return app;
    }
}
