using Elsa.Migration.Engine.Files;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Host.Cli;

/// <summary>
/// Definition files given together on the command line: each one can use the others as workflow activities (Elsa's
/// WorkflowDefinitionActivity), besides those imported into the database. <c>run child.json parent.json</c> runs the
/// last file; the ones before it are its children.
/// </summary>
internal static class WorkflowFiles
{
    /// <summary>Registers every readable definition among <paramref name="files"/> as a workflow activity. With
    /// <paramref name="strict"/> (run) a file that cannot be read throws; otherwise (validate) it is left to be reported with its own checks.</summary>
    public static async Task RegisterAsync(IServiceProvider services, IEnumerable<string> files, CancellationToken cancellationToken, bool strict = false)
    {
        var workflows = services.GetRequiredService<WorkflowActivityResolver>();
        foreach (var file in files)
        {
            string json;
            try
            {
                json = await OperatorFile.ReadTextAsync(file, "workflow definition", cancellationToken);
            }
            catch (Exception ex) when (!strict && OperatorFile.IsUnreadable(ex))
            {
                continue;
            }
            if (DefinitionReader.Read(json).Definition is { } definition)
                workflows.Register(definition);
        }
    }

    /// <summary>Loads the workflows <paramref name="json"/> uses from the database; a cycle between definitions is returned as a problem.</summary>
    public static async Task<ValidationProblem?> PrepareAsync(IServiceProvider services, string json, CancellationToken cancellationToken)
    {
        try
        {
            await services.GetRequiredService<WorkflowActivityResolver>().PrepareAsync(json, cancellationToken);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return new ValidationProblem(ProblemCodes.WorkflowCycle, e.Message, "root");
        }
    }
}
