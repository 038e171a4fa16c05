using System.Text;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// A writer that prints control characters as <c>\uXXXX</c> (all C0 but newline and tab, DEL, C1). Names, ids and
/// journal messages come from definitions and nodes an operator did not write: printed raw, an <c>ESC ] 0 ;</c> retitles
/// the terminal and <c>ESC [ 2 J</c> clears it. Installed once over standard output and error (<see cref="CliConsole"/>).
/// </summary>
public sealed class ControlCharacterEscapingWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override void Write(char value)
    {
        if (IsUnsafe(value))
            inner.Write(Escape(value));
        else
            inner.Write(value);
    }

    public override void Write(string? value)
    {
        if (value is null)
            return;
        if (!value.Any(IsUnsafe))
        {
            inner.Write(value);
            return;
        }
        inner.Write(Escaped(value));
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value)
    {
        Write(value);
        inner.WriteLine();
    }

    public override void Flush() => inner.Flush();

    /// <summary><paramref name="text"/> with every control character but newline and tab as <c>\uXXXX</c>.</summary>
    public static string Escaped(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsUnsafe(c))
                builder.Append(Escape(c));
            else
                builder.Append(c);
        }
        return builder.ToString();
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) && c is not '\n' and not '\t';

    private static string Escape(char c) => $"\\u{(int)c:x4}";
}
