using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;

namespace Elsa.Migration.Host.Studio;

/// <summary>The descriptor and bootstrap endpoints Studio calls before it draws anything (all must exist: no fallback on 404).</summary>
public static class FacadeDescriptorEndpoints
{
    public static RouteGroupBuilder MapFacadeDescriptors(this RouteGroupBuilder api)
    {
        api.MapGet("/package/version", () => Results.Json(new JsonObject { ["packageVersion"] = StudioOptions.PackageVersion }));
        // Empty: Studio then polls instead of using SignalR, and hides the alterations and resilience menus.
        api.MapGet("/features/installed", () => Results.Json(StudioShapes.Items([])));
        api.MapGet("/descriptors/activities", (IActivityRegistry registry) => Results.Json(StudioShapes.Items(ActivityDescriptorMapper.MapAll(registry))));
        api.MapGet("/descriptors/expression-descriptors", (IExpressionEvaluator evaluator) =>
            Results.Json(StudioShapes.Items(ExpressionDescriptors.For(evaluator.SupportedTypes))));
        api.MapGet("/descriptors/variables", () => Results.Json(StudioShapes.Items(VariableTypes())));
        api.MapGet("/descriptors/storage-drivers", () => Results.Json(StudioShapes.Items(
        [
            new JsonObject
            {
                ["typeName"] = "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core", ["displayName"] = "Workflow instance",
                ["priority"] = 0, ["deprecated"] = false,
            },
        ])));
        api.MapGet("/descriptors/workflow-activation-strategies", () => Results.Json(StudioShapes.Items(
        [
            new JsonObject
            {
                ["typeName"] = "Elsa.Workflows.Runtime.ActivationStrategies.AllowAlwaysStrategy, Elsa.Workflows.Runtime",
                ["displayName"] = "Always", ["description"] = null,
            },
        ])));
        foreach (var empty in new[]
                 {
                     "/descriptors/incident-strategies", "/descriptors/log-persistence-strategies", "/descriptors/commit-strategies/workflows",
                     "/descriptors/commit-strategies/activities", "/descriptors/output-converters", "/descriptors/resilience-strategies",
                 })
            api.MapGet(empty, () => Results.Json(StudioShapes.Items([])));
        return api;
    }

    // The variable types our expression evaluator converts (ValueTypeNames).
    private static JsonArray VariableTypes() =>
    [
        .. new[] { "String", "Int32", "Int64", "Boolean", "Double", "Decimal", "TimeSpan", "DateTimeOffset", "Guid", "Object", "String[]" }
            .Select(t => (JsonNode)new JsonObject { ["typeName"] = t, ["displayName"] = t, ["category"] = "Primitives", ["description"] = null }),
    ];
}
