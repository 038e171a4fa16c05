using System.Collections.Concurrent;
using Elsa.Migration.Activities.Migration.Preflight;

namespace Elsa.Migration.Lab;

/// <summary>The lab starts migrations straight on its runtime, with no host admission: Preflight's admission check admits every one.</summary>
public sealed class LabAdmission : IMigrationAdmissionQuery
{
    public Task<string?> RefusalAsync(string vmId, string sourceNode, string targetNode, string? instanceId, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);
}

/// <summary>The lab's link rates: kept in memory for the lab's life (the host keeps them in its database), the default before the first migration.</summary>
public sealed class LabLinkRates : ILinkRates
{
    private readonly ConcurrentDictionary<(string, string), LinkRate> _rates = new();

    public Task<LinkRate> GetAsync(string sourceNode, string targetNode, CancellationToken cancellationToken) =>
        Task.FromResult(_rates.GetValueOrDefault((sourceNode, targetNode)) ?? LinkRate.Configured(LinkRate.DefaultBytesPerSecond));

    public Task RecordAsync(string sourceNode, string targetNode, double bytesPerSecond, string instanceId, CancellationToken cancellationToken)
    {
        _rates[(sourceNode, targetNode)] = LinkRate.Measured(bytesPerSecond, DateTimeOffset.UtcNow, instanceId);
        return Task.CompletedTask;
    }
}
