using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Elsa 3.5's merge modes (<c>customProperties.mergeMode</c> on a flowchart node) and how this runtime applies them:
/// <c>Cascade</c> and <c>Stream</c> run the node once per arriving token (the default here); <c>Merge</c> waits for
/// every inbound branch that can still arrive (an <c>Elsa.FlowJoin</c> in WaitAll); <c>Race</c> runs on the first token
/// and cancels the other inbound branches (WaitAny); <c>Converge</c> runs only once every inbound connection delivered
/// a token (a branch that was not taken means it never runs).
/// </summary>
public static class MergeModes
{
    public const string Stream = "Stream";
    public const string Merge = "Merge";
    public const string Converge = "Converge";
    public const string Cascade = "Cascade";
    public const string Race = "Race";

    /// <summary>The join mode a node's merge mode gives it, or null when it runs once per token.</summary>
    public static Input<FlowJoinMode>? JoinModeOf(ActivityNode node) =>
        ModeOf(node) switch
        {
            { } m when m.Equals(Merge, StringComparison.OrdinalIgnoreCase) || m.Equals(Converge, StringComparison.OrdinalIgnoreCase) => new Input<FlowJoinMode>(FlowJoinMode.WaitAll),
            { } m when m.Equals(Race, StringComparison.OrdinalIgnoreCase) => new Input<FlowJoinMode>(FlowJoinMode.WaitAny),
            _ => null,
        };

    /// <summary>True for Converge: the node runs only once every inbound connection has delivered a token; when one
    /// cannot (its branch was not taken), it does not run at all.</summary>
    public static bool WaitsForEveryInbound(ActivityNode node) => ModeOf(node)?.Equals(Converge, StringComparison.OrdinalIgnoreCase) == true;

    private static string? ModeOf(ActivityNode node) => DefinitionReader.Text(node.Json["customProperties"]?["mergeMode"]);

    /// <summary>What this runtime does differently from Elsa for <paramref name="mode"/>; null when it behaves as Elsa.</summary>
    public static string? Difference(string mode) =>
        new[] { Stream, Merge, Converge, Cascade, Race }.Contains(mode, StringComparer.OrdinalIgnoreCase)
            ? null
            : $"Unknown mergeMode '{mode}': the node runs once per arriving token (Cascade). Use Stream, Merge, Converge, Cascade or Race.";
}
