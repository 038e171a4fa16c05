namespace Elsa.Migration.Engine.Model;

/// <summary>
/// A deliberate fault raised by a workflow (Elsa's <c>FaultException</c>, thrown by <c>Elsa.Fault</c>). The runtime stores
/// <see cref="Exception.Message"/> as the instance's incident as it is (not wrapped in "activity X failed"), because the
/// workflow's author chose those words for the operator.
/// </summary>
public sealed class FaultException(string code, string category, string reason, string message) : Exception(message)
{
    /// <summary>Identifies the kind of fault (e.g. <c>RolledBack</c>).</summary>
    public string Code { get; } = code;

    /// <summary>Groups codes of one area (e.g. <c>Migration</c>).</summary>
    public string Category { get; } = category;

    /// <summary>A short machine-readable cause (Elsa's fault <c>Reason</c>/type).</summary>
    public string Reason { get; } = reason;
}
