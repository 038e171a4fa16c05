using System.Text.RegularExpressions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// A program and its argument list, to run on a node. Never a shell string: over SSH each argument is quoted by
/// <see cref="SshTransport"/>. The program must be a plain name or absolute path.
/// </summary>
public sealed partial record NodeCommand
{
    public NodeCommand(string program, params IEnumerable<string> arguments)
    {
        if (!ProgramRegex().IsMatch(program))
            throw new ArgumentException($"Invalid program '{program}': use a plain name or absolute path of safe characters.", nameof(program));
        var args = arguments.ToArray();
        foreach (var arg in args)
        {
            if (arg is null || arg.Contains('\0'))
                throw new ArgumentException($"Invalid argument for '{program}': null or contains NUL.", nameof(arguments));
        }
        Program = program;
        Arguments = args;
    }

    /// <summary>Program name (looked up in PATH) or absolute path.</summary>
    public string Program { get; }

    /// <summary>Arguments, each passed as one argv entry.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <inheritdoc />
    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments.Select(ShellQuoting.QuoteForDisplay)));

    [GeneratedRegex(@"^[A-Za-z0-9_/][A-Za-z0-9_./+-]*\z")] private static partial Regex ProgramRegex();
}

/// <summary>How to start a process locally: the file and its exact argv.</summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>How to start it: an argument list (never a shell line), stdout and stderr (UTF-8) redirected.</summary>
    public System.Diagnostics.ProcessStartInfo ToStartInfo(bool redirectStandardInput)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(FileName)
        {
            RedirectStandardInput = redirectStandardInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var argument in Arguments) psi.ArgumentList.Add(argument);
        return psi;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(' ', new[] { FileName }.Concat(Arguments.Select(ShellQuoting.QuoteForDisplay)));
}

/// <summary>POSIX shell quoting, for the remote side of SSH (ssh joins its arguments with spaces into one shell line).</summary>
public static class ShellQuoting
{
    /// <summary>Wraps in single quotes; an embedded quote becomes <c>'"'"'</c>. Safe for any string without NUL.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0')) throw new ArgumentException("NUL cannot be passed through a shell.", nameof(value));
        return "'" + value.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";
    }

    internal static string QuoteForDisplay(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:@,+".Contains(c)) ? value : Quote(value);
}
