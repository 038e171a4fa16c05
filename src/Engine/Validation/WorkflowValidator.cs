using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Validation;

/// <summary>
/// Checks a read definition against the activity registry and the expression evaluator and reports every problem at
/// once, each with its JSON path (and line/column when a <see cref="DefinitionLayout"/> from the reader is given):
/// unknown activity types (with the closest known names), duplicate ids, dangling connections, unknown ports,
/// missing required inputs, literals of the wrong type, JavaScript that does not parse, expression types this runtime
/// does not execute, unknown variables, an unknown compensation activity and a flowchart without a start
/// (see <see cref="FlowchartStart"/> for the rule).
/// </summary>
public sealed class WorkflowValidator(IActivityRegistry registry, IExpressionEvaluator evaluator, Func<ActivityNode, WorkflowDefinition?>? workflows = null)
{
    /// <summary>Every problem of <paramref name="definition"/>; empty when it is valid.</summary>
    public IReadOnlyList<ValidationProblem> Validate(WorkflowDefinition definition, DefinitionLayout? layout = null)
    {
        layout ??= new DefinitionLayout();
        var problems = new List<ValidationProblem>();
        var activities = definition.Root.Activities;
        var variables = definition.Variables.SelectMany(v => new[] { v.Id, v.Name }).ToHashSet(StringComparer.Ordinal);
        // An activity output may also be bound to a workflow output by its name (Elsa's output mapping).
        var outputTargets = variables.Concat(definition.Outputs).ToHashSet(StringComparer.Ordinal);

        ValidateVariables(definition, layout, problems);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < activities.Count; i++)
        {
            var node = activities[i];
            var (path, label) = ActivityLocation(node, i, layout);
            if (!seen.Add(node.Id))
                problems.Add(layout.Problem(ProblemCodes.DuplicateActivityId,
                    $"Another activity already has the id '{node.Id}'; activity ids must be unique within the flowchart.", path + ".id", label + ".id"));
            ValidateActivity(node, path, label, variables, outputTargets, layout, problems);
            ValidateChildren(node.Json, path, variables, outputTargets, layout, problems, insideContainer: definition.Root.IsActivityRoot);
            if (!definition.Root.IsActivityRoot)
                WarnFlowDifferences(node, definition.Root.Connections, path, label, layout, problems);
        }

        var connections = definition.Root.Connections;
        var byId = activities.GroupBy(a => a.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        for (var i = 0; i < connections.Count; i++)
            ValidateConnection(connections[i], ConnectionPath(i, layout), byId, layout, problems);

        if (definition.CompensationActivityId is { } compensation && !byId.ContainsKey(compensation))
            problems.Add(layout.Problem(ProblemCodes.UnknownCompensationActivity,
                $"customProperties.compensationActivityId names '{compensation}', but the flowchart has no activity with that id.",
                layout.PathOf("customProperties.compensationActivityId")));

        // An empty flowchart is valid (Elsa runs it and finishes at once).
        if (activities.Count > 0 && FlowchartStart.Find(definition, registry) is null)
            problems.Add(layout.Problem(ProblemCodes.NoStartActivity,
                "The flowchart has no start: there is no Elsa.Start activity and every activity has an inbound connection. Add an Elsa.Start activity connected to the first step.",
                layout.PathOf("root.activities")));
        return problems;
    }

    // Variables are converted to their declared type when an instance starts: a value that does not convert is an error now.
    private static void ValidateVariables(WorkflowDefinition definition, DefinitionLayout layout, List<ValidationProblem> problems)
    {
        var listed = definition.Document["model"] is JsonObject && definition.Document["root"] is null ? definition.Document["model"]!["variables"] : definition.Document["variables"];
        foreach (var variable in definition.Variables)
        {
            try
            {
                VariableTypes.Convert(variable.Value, VariableTypes.TypeNameOf(variable), $"variable '{variable.Name}'");
            }
            catch (FormatException e)
            {
                var index = (listed as JsonArray ?? []).Select((v, i) => (v, i)).FirstOrDefault(p => DefinitionReaderText(p.v?["id"]) == variable.Id).i;
                problems.Add(layout.Problem(ProblemCodes.InvalidVariableValue, e.Message, layout.PathOf($"variables[{index}].value")));
            }
        }
    }

    private static string? DefinitionReaderText(JsonNode? node) => Json.DefinitionReader.Text(node);

    // Activities nested in containers (Sequence, loops, If, Switch cases, nested flowcharts, unknown types) are
    // checked like top-level ones; a nested flowchart's connections too.
    private void ValidateChildren(JsonObject parent, string parentPath, HashSet<string> variables, HashSet<string> outputTargets, DefinitionLayout layout,
        List<ValidationProblem> problems, bool insideContainer)
    {
        var children = ActivityTree.Children(parent, parentPath).ToList();
        var byId = new Dictionary<string, ActivityNode>(StringComparer.Ordinal);
        foreach (var (json, path) in children)
        {
            if (Json.DefinitionReader.ReadActivityNode(json) is not { } node)
            {
                problems.Add(layout.Problem(ProblemCodes.InvalidActivity, "An activity needs an id and a type such as \"Elsa.WriteLine\".", path));
                continue;
            }
            var label = $"{path} (id {node.Id})";
            if (!byId.TryAdd(node.Id, node))
                problems.Add(layout.Problem(ProblemCodes.DuplicateActivityId,
                    $"Another activity in the same container already has the id '{node.Id}'; activity ids must be unique.", path + ".id", label + ".id"));
            ValidateActivity(node, path, label, variables, outputTargets, layout, problems);
            if (insideContainer && registry.Find(node.Type) is { } d && d.ClrType.GetCustomAttributes(typeof(WaitsForStimulusAttribute), false).Length > 0)
                problems.Add(layout.Warning(ProblemCodes.WaitInContainer,
                    $"{node.Type} waits inside a container: a timer waits in-process and is not durable across a restart, any other stimulus is refused at run time. " +
                    "Place waits directly in the workflow's flowchart.", path, label));
            ValidateChildren(json, path, variables, outputTargets, layout, problems, insideContainer: true);
        }
        if (Json.DefinitionReader.Text(parent["type"]) == Json.DefinitionReader.FlowchartType && parent["connections"] is JsonArray connections)
        {
            for (var i = 0; i < connections.Count; i++)
            {
                if (Json.DefinitionReader.ReadConnection(connections[i]) is { } connection)
                    ValidateConnection(connection, $"{parentPath}.connections[{i}]", byId, layout, problems);
                else
                    problems.Add(layout.Problem(ProblemCodes.InvalidConnection, "A connection needs a source and a target.", $"{parentPath}.connections[{i}]"));
            }
        }
    }

    // Constructs the runtime accepts but runs differently from Elsa: said as warnings, never silently.
    private static void WarnFlowDifferences(ActivityNode node, IReadOnlyList<Connection> connections, string path, string label, DefinitionLayout layout, List<ValidationProblem> problems)
    {
        if (DefinitionReaderText(node.Json["customProperties"]?["mergeMode"]) is { } mode && MergeModes.Difference(mode) is { } difference)
            problems.Add(layout.Warning(ProblemCodes.MergeMode, difference, path + ".customProperties.mergeMode", label));
        var byPort = connections.Where(c => c.SourceId == node.Id).GroupBy(c => c.SourcePort).ToList();
        var concurrent = byPort.Any(g => g.Count() > 1) || (node.Type == "Elsa.FlowFork" && byPort.Count > 1);
        if (concurrent)
            problems.Add(layout.Warning(ProblemCodes.ConcurrentBranches,
                $"'{node.Id}' starts several branches: this runtime runs them concurrently (Elsa runs them one at a time on one thread). " +
                "Branches that write the same variable or resource need an Elsa.FlowJoin or must not overlap.", path, label));
    }

    private void ValidateActivity(ActivityNode node, string path, string label, HashSet<string> variables, HashSet<string> outputTargets, DefinitionLayout layout,
        List<ValidationProblem> problems)
    {
        var descriptor = registry.Find(node.Type);
        if (descriptor is null && workflows?.Invoke(node) is not null)
            return;
        if (descriptor is null)
        {
            var closest = EditDistance.Closest(node.Type, registry.Descriptors.Select(d => d.TypeName));
            var hint = closest.Count > 0 ? $" Did you mean {string.Join(" or ", closest.Select(c => $"'{c}'"))}?" : "";
            problems.Add(layout.Problem(ProblemCodes.UnknownActivityType,
                $"Unknown activity type '{node.Type}'.{hint} Fix the type name or register the assembly that contains the activity.", path + ".type", label + ".type"));
            return;
        }

        foreach (var input in descriptor.Inputs)
        {
            var inputPath = $"{path}.{input.Name}";
            var inputLabel = $"{label}.{input.Name}";
            var expression = node.Inputs.GetValueOrDefault(input.Name);
            if (expression is null || IsEmpty(expression))
            {
                if (input.Required && input.DefaultValue is null)
                    problems.Add(layout.Problem(ProblemCodes.MissingRequiredInput,
                        $"{descriptor.TypeName} requires the input '{input.Name}' ({input.TypeName}); give it a value or an expression.", inputPath, inputLabel));
                continue;
            }
            if (ValidateExpression(expression, input, variables) is { } problem)
                problems.Add(layout.Problem(problem.Code, problem.Message, inputPath + ".expression", inputLabel));
        }

        foreach (var output in descriptor.Outputs)
        {
            if (node.Outputs.GetValueOrDefault(output.Name) is { } variable && !outputTargets.Contains(variable))
                problems.Add(layout.Problem(ProblemCodes.UnknownVariable,
                    $"The output '{output.Name}' is bound to the variable '{variable}', which the workflow does not declare; add it to \"variables\".",
                    $"{path}.{output.Name}.memoryReference", $"{label}.{output.Name}"));
        }
    }

    private (string Code, string Message)? ValidateExpression(Expression expression, InputDescriptor input, HashSet<string> variables)
    {
        if (!evaluator.SupportedTypes.Contains(expression.Type))
            return (ProblemCodes.UnsupportedExpressionType,
                $"The expression type '{expression.Type}' is not executed by this runtime; use one of {string.Join(", ", evaluator.SupportedTypes)} (e.g. rewrite it as JavaScript).");
        switch (expression.Type)
        {
            case Expression.Types.Literal:
                if (input.UIHint == InputUIHints.VariablePicker) // the literal names a workflow variable
                    return ExpressionEvaluator.VariableReference(expression.Value) is { } name && !variables.Contains(name) ? UnknownVariable(name) : null;
                return Convert(expression.Value, input);
            case Expression.Types.Object or Expression.Types.Json:
                if (expression.Value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                    return Convert(expression.Value, input);
                try
                {
                    return Convert(JsonNode.Parse(v.GetValue<string>()), input);
                }
                catch (JsonException e)
                {
                    return (ProblemCodes.InvalidLiteral, $"The {expression.Type} expression is not valid JSON: {e.Message}");
                }
            case Expression.Types.Variable:
                return ExpressionEvaluator.VariableReference(expression.Value) is { } variable && !variables.Contains(variable) ? UnknownVariable(variable) : null;
            case Expression.Types.JavaScript:
                return JavaScriptSyntax.Check(TextOf(expression.Value)) is { } error
                    ? (ProblemCodes.JavaScriptSyntax, $"The JavaScript does not parse: {error}.")
                    : null;
            default:
                return null;
        }

        static (string, string) UnknownVariable(string name) =>
            (ProblemCodes.UnknownVariable, $"The workflow has no variable '{name}' (by id or name); declare it in \"variables\" or pick an existing one.");
    }

    private static (string Code, string Message)? Convert(JsonNode? value, InputDescriptor input)
    {
        try
        {
            ValueConverter.Convert(value, input.ValueType);
            return null;
        }
        catch (FormatException e)
        {
            return (ProblemCodes.InvalidLiteral, e.Message);
        }
    }

    private void ValidateConnection(Connection connection, string path, Dictionary<string, ActivityNode> byId, DefinitionLayout layout, List<ValidationProblem> problems)
    {
        var source = byId.GetValueOrDefault(connection.SourceId);
        var target = byId.GetValueOrDefault(connection.TargetId);
        var label = $"{path} ({connection.SourceId}:{connection.SourcePort} -> {connection.TargetId}:{connection.TargetPort})";
        if (source is null)
            problems.Add(layout.Problem(ProblemCodes.DanglingConnection,
                $"The connection's source '{connection.SourceId}' is not an activity of this flowchart; remove the connection or fix the id.", path + ".source", label));
        if (target is null)
            problems.Add(layout.Problem(ProblemCodes.DanglingConnection,
                $"The connection's target '{connection.TargetId}' is not an activity of this flowchart; remove the connection or fix the id.", path + ".target", label));
        if (target is not null && connection.TargetPort != "In")
            problems.Add(layout.Problem(ProblemCodes.UnknownPort,
                $"The connection enters '{connection.TargetId}' through the port '{connection.TargetPort}'; activities are entered through 'In'.", path + ".target", label));
        if (source is not null && registry.Find(source.Type) is null && workflows?.Invoke(source) is { } workflow)
        {
            // A workflow activity's ports: Done and the child's declared outcomes (Elsa.Complete may name them).
            if (connection.SourcePort != Outcomes.Done && !workflow.Outcomes.Contains(connection.SourcePort) && workflow.Outcomes.Count > 0)
                problems.Add(layout.Problem(ProblemCodes.UnknownPort,
                    $"'{source.Id}' (workflow '{workflow.Name}') has no outcome '{connection.SourcePort}'; its outcomes are: Done, {string.Join(", ", workflow.Outcomes)}.", path + ".source", label));
            return;
        }
        if (source is null || registry.Find(source.Type) is not { } descriptor)
            return;
        var ports = PortsOf(source, descriptor);
        if (ports is not null && !ports.Contains(connection.SourcePort))
            problems.Add(layout.Problem(ProblemCodes.UnknownPort,
                $"'{source.Id}' ({descriptor.TypeName}) has no outcome '{connection.SourcePort}'; its outcomes are: {(ports.Count == 0 ? "(none)" : string.Join(", ", ports))}.",
                path + ".source", label));
    }

    // Null means "any port": a dynamic outcome list computed at run time.
    private static IReadOnlyCollection<string>? PortsOf(ActivityNode node, ActivityDescriptor descriptor)
    {
        if (descriptor.DynamicOutcomesInput is not { } inputName)
            return descriptor.Outcomes;
        var expression = node.Inputs.GetValueOrDefault(inputName);
        // FlowSwitch keeps its cases as a plain array: [{"label", "condition"}]; the labels and the fixed ports are the outcomes.
        if (expression is null && node.Json[inputName] is JsonArray cases)
            return [.. descriptor.Outcomes, .. cases.Select(c => Json.DefinitionReader.Text(c) ?? Json.DefinitionReader.Text(c?["label"])).OfType<string>()];
        if (expression is null || IsEmpty(expression))
            return descriptor.Outcomes;
        if (expression.Type is not (Expression.Types.Literal or Expression.Types.Object or Expression.Types.Json))
            return null;
        try
        {
            var value = expression.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().TrimStart().StartsWith('[')
                ? JsonNode.Parse(v.GetValue<string>())
                : expression.Value;
            return ValueConverter.Convert(value, typeof(List<string>)) as List<string> ?? [];
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null; // reported as an invalid literal of the input itself
        }
    }

    private static bool IsEmpty(Expression expression) =>
        expression.Value is null || (expression.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String && string.IsNullOrWhiteSpace(v.GetValue<string>()));

    private static string TextOf(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? "";

    private static (string Path, string Label) ActivityLocation(ActivityNode node, int listIndex, DefinitionLayout layout)
    {
        if (layout.RootIsActivity)
            return (layout.PathOf("root"), $"{layout.PathOf("root")} (id {node.Id})");
        var index = layout.ActivityIndexes.TryGetValue(node, out var i) ? i : listIndex;
        var path = layout.PathOf($"root.activities[{index}]");
        return (path, $"{path} (id {node.Id})");
    }

    private static string ConnectionPath(int listIndex, DefinitionLayout layout) =>
        layout.PathOf($"root.connections[{(layout.ConnectionIndexes is { } indexes && listIndex < indexes.Count ? indexes[listIndex] : listIndex)}]");
}
