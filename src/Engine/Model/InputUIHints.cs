namespace Elsa.Migration.Engine.Model;

/// <summary>Elsa Studio's input editors by their UI hint names (<see cref="InputAttribute.UIHint"/>), as Elsa 3 names them.</summary>
public static class InputUIHints
{
    public const string SingleLine = "singleline";
    public const string MultiLine = "multiline";
    public const string Checkbox = "checkbox";
    public const string Dropdown = "dropdown";
    public const string MultiText = "multi-text";
    public const string JsonEditor = "json-editor";
    public const string CodeEditor = "code-editor";
    public const string VariablePicker = "variable-picker";
    public const string OutcomePicker = "outcome-picker";
    public const string DynamicOutcomes = "dynamic-outcomes";
}
