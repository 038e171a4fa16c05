using Quartz.Diagnostics;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// Quartz 4 logs through the container's logger factory, except where nothing can be injected (cron triggers, static
/// helpers): those log to a process-wide provider (<see cref="LogProvider"/>) that outlives any one host. Setting it to
/// a host's factory would leave a second host in the process (tests, an in-process restart) logging into the first
/// one's disposed factory (ObjectDisposedException). This forwarder is that provider, never disposed; each host
/// attaches its own factory while it runs.
/// </summary>
public sealed class QuartzLogging : ILoggerFactory
{
    private static readonly QuartzLogging Instance = new();
    private static readonly Lock Gate = new();
    private volatile ILoggerFactory? _target;

    /// <summary>Routes Quartz's ambient logs to <paramref name="factory"/> until <see cref="Detach"/>.</summary>
    public static void Attach(ILoggerFactory factory)
    {
        lock (Gate)
        {
            LogProvider.SetLogProvider(Instance);
            Instance._target = factory;
        }
    }

    /// <summary>Stops routing to <paramref name="factory"/> (when it is the current one).</summary>
    public static void Detach(ILoggerFactory factory)
    {
        lock (Gate)
            if (ReferenceEquals(Instance._target, factory))
                Instance._target = null;
    }

    public ILogger CreateLogger(string categoryName) => new Forwarding(this, categoryName);

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("Add logging providers to the host's logging builder, not to Quartz's forwarder.");

    public void Dispose()
    {
        // Process-wide; never disposed.
    }

    private sealed class Forwarding(QuartzLogging owner, string category) : ILogger
    {
        private ILogger? Target => owner._target?.CreateLogger(category);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => Target?.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => Target?.IsEnabled(logLevel) ?? false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Target?.Log(logLevel, eventId, state, exception, formatter);
    }
}
