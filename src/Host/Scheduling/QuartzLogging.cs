using Quartz.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// Quartz 3 logs through a process-wide static provider that it sets once, to the logger factory of the first host it
/// meets. A second host in the same process (tests, or a restart in-process) would then log into the first host's
/// disposed factory and fail to start (ObjectDisposedException). This forwarder is that static provider; each host
/// attaches its own factory while it runs.
/// </summary>
public sealed class QuartzLogging : ILoggerFactory
{
    private static readonly QuartzLogging Instance = new();
    private static readonly Lock Gate = new();
    private volatile ILoggerFactory? _target;

    /// <summary>Routes Quartz's logs to <paramref name="factory"/> until <see cref="Detach"/>. Call before the host starts
    /// and again once it has started (Quartz replaces the provider during the first start in a process).</summary>
    public static void Attach(ILoggerFactory factory)
    {
        lock (Gate)
        {
            // Always (re)install: Quartz installs its own provider once, on the first host's start.
            LogContext.SetCurrentLogProvider(Instance);
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
