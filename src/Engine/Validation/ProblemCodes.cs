namespace Elsa.Migration.Engine.Validation;

/// <summary>The stable codes of <see cref="ValidationProblem"/> (tests, the CLI and the API rely on them).</summary>
public static class ProblemCodes
{
    public const string JsonSyntax = "json-syntax";
    public const string MissingRoot = "missing-root";
    public const string InvalidActivity = "invalid-activity";
    public const string InvalidConnection = "invalid-connection";
    public const string UnknownActivityType = "unknown-activity-type";
    public const string DuplicateActivityId = "duplicate-activity-id";
    public const string DanglingConnection = "dangling-connection";
    public const string UnknownPort = "unknown-port";
    public const string MissingRequiredInput = "missing-required-input";
    public const string InvalidLiteral = "invalid-literal";
    public const string JavaScriptSyntax = "javascript-syntax";
    public const string UnsupportedExpressionType = "unsupported-expression-type";
    public const string UnknownVariable = "unknown-variable";
    public const string NoStartActivity = "no-start-activity";
    public const string UnknownCompensationActivity = "unknown-compensation-activity";
    public const string InvalidVariableValue = "invalid-variable-value";
    public const string WorkflowCycle = "workflow-cycle";
    public const string InvalidCron = "invalid-cron";

    // Warnings: accepted, but run differently from Elsa.
    public const string MergeMode = "merge-mode";
    public const string ConcurrentBranches = "concurrent-branches";
    public const string WaitInContainer = "wait-in-container";
    public const string InvalidDefinitionId = "invalid-definition-id";
}
