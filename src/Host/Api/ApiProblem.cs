using Microsoft.AspNetCore.Http.HttpResults;

namespace Elsa.Migration.Host.Api;

/// <summary>Why nothing was started or changed, as <c>application/problem+json</c>: <c>detail</c> says what to do, the
/// extension <c>code</c> is stable for scripts, <c>problems</c> lists every validation problem when there are several.</summary>
public static class ApiProblem
{
    public static ProblemHttpResult Create(int status, string code, string detail, IReadOnlyList<string>? problems = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (problems is not null)
            extensions["problems"] = problems;
        return TypedResults.Problem(detail: detail, statusCode: status, extensions: extensions);
    }

    public static ProblemHttpResult BadRequest(string code, string detail, IReadOnlyList<string>? problems = null) =>
        Create(StatusCodes.Status400BadRequest, code, detail, problems);

    public static ProblemHttpResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, "not-found", detail);

    public static ProblemHttpResult Conflict(string code, string detail) => Create(StatusCodes.Status409Conflict, code, detail);
}
