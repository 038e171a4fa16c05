using Spectre.Console;

namespace Elsa.Migration.Host.Cli;

/// <summary>The one place CLI output goes through: standard output and error escape control characters.</summary>
public static class CliConsole
{
    /// <summary>
    /// Wraps <see cref="Console.Out"/> and <see cref="Console.Error"/> in <see cref="ControlCharacterEscapingWriter"/>.
    /// Spectre.Console (demo and benchmark progress) keeps the raw standard output: its own ANSI sequences draw the
    /// progress bars, and what it prints of ours goes through <c>Markup.Escape</c> first.
    /// </summary>
    public static void EscapeControlCharacters()
    {
        var raw = Console.Out;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(raw) });
        Console.SetOut(new ControlCharacterEscapingWriter(raw));
        Console.SetError(new ControlCharacterEscapingWriter(Console.Error));
    }
}
