namespace Elsa.Migration.Engine.Model;

/// <summary>Marks a class as an activity. The JSON type name is <c>Namespace.ClassName</c> (e.g. <c>VmMigration.ZfsReplicate</c>),
/// a persisted contract: never rename a type, bump <see cref="Version"/> instead.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ActivityAttribute(string @namespace, string? category = null, string? description = null) : Attribute
{
    public string Namespace { get; } = @namespace;
    public string? Category { get; } = category;
    public string? Description { get; } = description;
    /// <summary>Overrides the class name part of the type name.</summary>
    public string? TypeName { get; init; }
    public string? DisplayName { get; init; }
    public int Version { get; init; } = 1;
}

/// <summary>Declares the outcome ports of a flowchart activity. Activities without it have the single port <c>Done</c>.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class FlowNodeAttribute(params string[] outcomes) : Attribute
{
    public IReadOnlyList<string> Outcomes { get; } = outcomes;
}

/// <summary>Describes an activity input; the designer shows these values (Studio input descriptor).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class InputAttribute : Attribute
{
    public string? DisplayName { get; init; }
    public string? Description { get; init; }
    /// <summary>Studio UI hint, one of <see cref="InputUIHints"/>; without it the input's type decides (dropdown for an
    /// enum, whose names are the options; checkbox for a bool; ...).</summary>
    public string? UIHint { get; init; }
    /// <summary>The value of the input when it is absent or empty (its expression yields null), converted to the
    /// input's type (an enum by value or name, a number, <c>"00:05:00"</c> for a TimeSpan, ...). Written only here:
    /// the registry applies it and the designer shows it.</summary>
    public object? DefaultValue { get; init; }
    /// <summary>A number of 0 or less takes <see cref="DefaultValue"/> too (a timeout or size where 0 has no meaning
    /// of its own, as workflows written before the registry applied defaults relied on).</summary>
    public bool ZeroOrLessMeansDefault { get; init; }
    public string? Category { get; init; }
    public int Order { get; init; }
    public bool IsSensitive { get; init; }
    /// <summary>A required input must have an expression (or a default) at validation time.</summary>
    public bool Required { get; init; }
}

/// <summary>Describes an activity output (written with <c>context.Set(output, value)</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OutputAttribute : Attribute
{
    public string? DisplayName { get; init; }
    public string? Description { get; init; }
}

/// <summary>What recovery does with an instance that was running this activity when the host process died.</summary>
public enum RecoveryPolicy
{
    /// <summary>Not idempotent: never re-run; the instance faults and runs its compensation. The safe default.</summary>
    Compensate,
    /// <summary>Idempotent: safe to run again from its start.</summary>
    Rerun,
}

/// <summary>Declares an activity's <see cref="RecoveryPolicy"/>. Without it an activity is <see cref="RecoveryPolicy.Compensate"/>.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RecoveryAttribute(RecoveryPolicy policy) : Attribute
{
    public RecoveryPolicy Policy { get; } = policy;
}

/// <summary>
/// Marks an activity that changes nothing outside its instance (it only reads, e.g. a migration's preflight checks): like
/// Elsa's built-in activities, running it never makes the definition's compensation necessary, so a fault after it
/// (and after nothing else with effects) ends the instance without compensating.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ChangesNothingOutsideAttribute : Attribute;

/// <summary>Marks an activity that waits for a stimulus (a timer, an event) with a bookmark. Inside a container such a
/// wait is not durable (timers) or not possible (other stimuli): validation warns.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class WaitsForStimulusAttribute : Attribute;
