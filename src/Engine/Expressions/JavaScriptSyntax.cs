using Acornima;

namespace Elsa.Migration.Engine.Expressions;

/// <summary>Checks that a JavaScript expression parses (Jint's parser, Acornima), without running it.</summary>
public static class JavaScriptSyntax
{
    /// <summary>The parse error, or null when <paramref name="script"/> parses as a strict-mode script.</summary>
    public static JavaScriptSyntaxError? Check(string script)
    {
        try
        {
            new Parser(new ParserOptions { AllowReturnOutsideFunction = true }).ParseScript(script, strict: true);
            return null;
        }
        catch (ParseErrorException e)
        {
            return new JavaScriptSyntaxError(e.Error.Description, e.Error.LineNumber, e.Error.Column + 1);
        }
    }
}

/// <summary>A JavaScript parse error; <see cref="Line"/> and <see cref="Column"/> are 1-based, within the script.</summary>
public sealed record JavaScriptSyntaxError(string Description, int Line, int Column)
{
    public override string ToString() => $"{Description} (script line {Line}, column {Column})";
}
