using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Jint;
using JsEngine = Jint.Engine;
using Jint.Native;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;

namespace Elsa.Migration.Engine.Expressions;

/// <summary>
/// Runs JavaScript expressions in a Jint sandbox: strict mode, no CLR access (no <c>AllowClr</c>, so no
/// <c>System</c> or <c>importNamespace</c>), time, memory, statement and recursion limits. One engine per evaluation,
/// so scripts cannot leak state into each other; parsed scripts are cached.
/// Elsa's helpers: <c>getVariable('X')</c>, <c>setVariable('X', v)</c>, <c>getInput('X')</c>, per variable
/// <c>getX()</c> / <c>setX(v)</c>, per workflow input <c>getX()</c>, <c>getWorkflowInstanceId()</c>,
/// <c>getCorrelationId()</c> / <c>setCorrelationId(id)</c>, <c>isNullOrEmpty(v)</c>, <c>isNullOrWhiteSpace(v)</c>,
/// <c>parseGuid(text)</c>, <c>newGuid()</c>, <c>jsonParse(text)</c> (and the standard <c>JSON</c>), and Elsa 3's
/// <c>variables</c> object (<c>variables.Count</c>, <c>variables.Count = 1</c>).
/// </summary>
public sealed class JavaScriptEvaluator(JavaScriptOptions options)
{
    private readonly ConcurrentDictionary<string, Prepared<Acornima.Ast.Script>> _scripts = new(StringComparer.Ordinal);

    /// <summary>Evaluates <paramref name="script"/> and returns its completion value as JSON (null for undefined/null).</summary>
    public JsonNode? Evaluate(string script, ExpressionScope scope, CancellationToken cancellationToken)
    {
        var prepared = Prepare(script);
        var engine = new JsEngine(o => o
            .Strict()
            .TimeoutInterval(options.Timeout)
            .LimitMemory(options.MemoryLimitBytes)
            .MaxStatements(options.MaxStatements)
            .LimitRecursion(options.MaxRecursionDepth)
            .CancellationToken(cancellationToken));
        DefineHelpers(engine, scope);
        try
        {
            return ToJson(engine, engine.Evaluate(prepared));
        }
        catch (TimeoutException e)
        {
            throw Limit(JavaScriptLimit.Timeout, $"the script ran longer than {options.Timeout.TotalSeconds:0.###} s (TimeoutInterval); an endless loop?", e);
        }
        catch (MemoryLimitExceededException e)
        {
            throw Limit(JavaScriptLimit.Memory, $"the script allocated more than {options.MemoryLimitBytes / (1024 * 1024)} MiB (MemoryLimit)", e);
        }
        catch (StatementsCountOverflowException e)
        {
            throw Limit(JavaScriptLimit.Statements, $"the script executed more than {options.MaxStatements} statements (MaxStatements)", e);
        }
        catch (RecursionDepthOverflowException e)
        {
            throw Limit(JavaScriptLimit.Recursion, $"the script nested calls deeper than {options.MaxRecursionDepth} (LimitRecursion)", e);
        }
        catch (ExecutionCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The JavaScript expression was cancelled.", cancellationToken);
        }
        catch (JavaScriptException e)
        {
            throw new ExpressionException($"JavaScript error: {e.Message} (script line {e.Location.Start.Line}, column {e.Location.Start.Column + 1}). Script: {Shorten(script)}", Model.Expression.Types.JavaScript, inner: e);
        }

        ExpressionException Limit(JavaScriptLimit limit, string why, Exception inner) =>
            new($"JavaScript expression stopped: {why}. Script: {Shorten(script)}", Model.Expression.Types.JavaScript, limit, inner);
    }

    private Prepared<Acornima.Ast.Script> Prepare(string script)
    {
        if (_scripts.TryGetValue(script, out var prepared))
            return prepared;
        if (JavaScriptSyntax.Check(script) is { } error)
            throw new ExpressionException($"JavaScript does not parse: {error}. Script: {Shorten(script)}", Model.Expression.Types.JavaScript);
        prepared = JsEngine.PrepareScript(script, strict: true);
        // Definitions hold few distinct scripts; the bound keeps a pathological caller from growing the cache forever.
        if (_scripts.Count < 10_000)
            _scripts.TryAdd(script, prepared);
        return prepared;
    }

    private static void DefineHelpers(JsEngine engine, ExpressionScope scope)
    {
        Define(engine, "getVariable", args => FromJson(engine, scope.Variables.TryGetValue(NameOf(scope, args), out var v) ? v : null));
        Define(engine, "setVariable", args =>
        {
            scope.Variables[NameOf(scope, args)] = ToJson(engine, args.Length > 1 ? args[1] : JsValue.Undefined);
            return JsValue.Undefined;
        });
        Define(engine, "getInput", args => FromJson(engine, scope.Inputs.TryGetValue(args.Length > 0 ? args[0].ToString() : "", out var v) ? v : null));
        Define(engine, "getWorkflowInstanceId", _ => scope.Instance.InstanceId);
        Define(engine, "getCorrelationId", _ => scope.Instance.CorrelationId is { } id ? id : JsValue.Null);
        Define(engine, "setCorrelationId", args =>
        {
            scope.Instance.CorrelationId = args.Length > 0 && !args[0].IsNull() && !args[0].IsUndefined() ? args[0].ToString() : null;
            return JsValue.Undefined;
        });
        Define(engine, "isNullOrEmpty", args => args.Length == 0 || args[0].IsNull() || args[0].IsUndefined() || (args[0].IsString() && args[0].AsString().Length == 0));
        Define(engine, "isNullOrWhiteSpace", args => args.Length == 0 || args[0].IsNull() || args[0].IsUndefined() || (args[0].IsString() && string.IsNullOrWhiteSpace(args[0].AsString())));
        Define(engine, "parseGuid", args => Guid.TryParse(args.Length > 0 ? args[0].ToString() : "", out var guid) ? guid.ToString("D") : JsValue.Null);
        Define(engine, "newGuid", _ => Guid.NewGuid().ToString("D"));
        Define(engine, "newGuidString", _ => Guid.NewGuid().ToString("D"));
        Define(engine, "jsonParse", args => args.Length == 0 || args[0].IsNull() || args[0].IsUndefined()
            ? JsValue.Null
            : new Jint.Native.Json.JsonParser(engine).Parse(args[0].ToString()));
        // Elsa generates getX() for every workflow input; a variable of the same name (below) wins, as in Elsa.
        foreach (var name in scope.Inputs.Keys.Where(IsIdentifier))
        {
            var input = name;
            Define(engine, "get" + input, _ => FromJson(engine, scope.Inputs.TryGetValue(input, out var v) ? v : null));
        }
        // Elsa 3's `variables` object: variables.Count reads, variables.Count = 1 writes the workflow variable.
        var variables = new JsObject(engine);
        foreach (var name in scope.Variables.Keys.Concat(scope.VariableNamesById.Values).Distinct(StringComparer.Ordinal))
        {
            var variable = name;
            variables.DefineOwnProperty(variable, new GetSetPropertyDescriptor(
                new ClrFunction(engine, "get " + variable, (_, _) => FromJson(engine, scope.Variables.TryGetValue(variable, out var v) ? v : null)),
                new ClrFunction(engine, "set " + variable, (_, args) =>
                {
                    scope.Variables[variable] = ToJson(engine, args.Length > 0 ? args[0] : JsValue.Undefined);
                    return JsValue.Undefined;
                }),
                enumerable: true, configurable: false));
        }
        engine.SetValue("variables", variables);
        foreach (var name in scope.Variables.Keys.Concat(scope.VariableNamesById.Values).Distinct(StringComparer.Ordinal).Where(IsIdentifier))
        {
            var variable = name;
            Define(engine, "get" + variable, _ => FromJson(engine, scope.Variables.TryGetValue(variable, out var v) ? v : null));
            Define(engine, "set" + variable, args =>
            {
                scope.Variables[variable] = ToJson(engine, args.Length > 0 ? args[0] : JsValue.Undefined);
                return JsValue.Undefined;
            });
        }
    }

    private static void Define(JsEngine engine, string name, Func<JsValue[], JsValue> body) =>
        engine.SetValue(name, new ClrFunction(engine, name, (_, args) => body(args)));

    // Elsa lets scripts name a variable by name; Studio sometimes passes the id: accept both.
    private static string NameOf(ExpressionScope scope, JsValue[] args)
    {
        var key = args.Length > 0 ? args[0].ToString() : "";
        return scope.VariableNamesById.TryGetValue(key, out var name) ? name : key;
    }

    private static JsValue FromJson(JsEngine engine, JsonNode? node) =>
        node is null ? JsValue.Null : new Jint.Native.Json.JsonParser(engine).Parse(node.ToJsonString());

    private static JsonNode? ToJson(JsEngine engine, JsValue value)
    {
        if (value.IsUndefined() || value.IsNull())
            return null;
        var text = new Jint.Native.Json.JsonSerializer(engine).Serialize(value);
        // Functions and symbols have no JSON form.
        return text.IsUndefined() ? null : JsonNode.Parse(text.ToString());
    }

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsLetter(name[0]) || name[0] is '_' or '$') && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '$');

    private static string Shorten(string script) => script.Length <= 120 ? script : script[..117] + "...";
}
