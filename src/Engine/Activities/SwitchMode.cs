namespace Elsa.Migration.Engine.Activities;

/// <summary>How Switch and FlowSwitch pick cases (Elsa's <c>SwitchMode</c>).</summary>
public enum SwitchMode
{
    /// <summary>The first case whose condition is true.</summary>
    MatchFirst,
    /// <summary>Every case whose condition is true.</summary>
    MatchAny,
}
