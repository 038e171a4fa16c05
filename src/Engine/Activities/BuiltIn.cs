namespace Elsa.Migration.Engine.Activities;

/// <summary>Names shared by Elsa's built-in activities: the JSON namespace, categories and outcome ports.</summary>
public static class BuiltIn
{
    /// <summary>The JSON namespace of Elsa's built-in activities (type names <c>Elsa.Start</c>, <c>Elsa.Delay</c>, ...).</summary>
    public const string Namespace = "Elsa";

    public const string FlowCategory = "Flow";
    public const string BranchingCategory = "Branching";
    public const string PrimitivesCategory = "Primitives";
    public const string SchedulingCategory = "Scheduling";
    public const string ConsoleCategory = "Console";
    public const string CompositionCategory = "Composition";
    public const string LoopingCategory = "Looping";
    public const string WorkflowsCategory = "Workflows";
    public const string ScriptingCategory = "Scripting";

    public const string StartType = "Elsa.Start";
    public const string FinishType = "Elsa.Finish";
    public const string FaultType = "Elsa.Fault";
}
