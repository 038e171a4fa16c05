using Elsa.Migration.Host.Tests.Api;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary>The CLI refuses inputs that do not fit their declared type and definition ids that break the rule.</summary>
public sealed class CliBadInputTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Theory]
    [InlineData("DiskBandwidth=abc")]
    [InlineData("DiskBandwidth=1;touch x")]
    public async Task Run_WithAnInt64InputThatIsNotANumber_ShouldExit3NamingTheInputAndStartNothing(string input)
    {
        var file = Path.Combine(_db.Folder, "typed.json");
        await File.WriteAllTextAsync(file, BadInputTests.Typed("typed-flow"));

        var (exitCode, output, error) = await CliProcess.RunAsync(_db.Path, "run", file, "--input", input);

        Assert.True(exitCode == 3, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("'DiskBandwidth' must be Int64", error);
        Assert.DoesNotContain("typed-flow", (await CliProcess.RunAsync(_db.Path, "instances")).Output);
    }

    [Fact]
    public async Task Import_WithANonAsciiDefinitionId_ShouldExit1WithTheRuleAndStoreNothing()
    {
        var file = Path.Combine(_db.Folder, "bad-id.json");
        await File.WriteAllTextAsync(file, TestWorkflows.Delaying("défini-ü"));

        var (exitCode, _, error) = await CliProcess.RunAsync(_db.Path, "import", file);

        Assert.Equal(1, exitCode);
        Assert.Contains("[invalid-definition-id]", error);
        Assert.Contains("letters, digits", error);
    }
}
