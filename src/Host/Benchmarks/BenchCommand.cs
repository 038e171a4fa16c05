using System.CommandLine;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary><c>bench runtime</c>: measures the cost per activity step and the memory per suspended instance (prints numbers; not a test).</summary>
internal static class BenchCommand
{
    public static Command Create(Option<string?> db)
    {
        var steps = new Option<int>("--steps") { Description = "Activities in the measured chain.", DefaultValueFactory = _ => 1000 };
        var runs = new Option<int>("--runs") { Description = "How many times the chain runs.", DefaultValueFactory = _ => 3 };
        var suspended = new Option<int>("--suspended") { Description = "Instances suspended for the memory measurement.", DefaultValueFactory = _ => 1000 };
        var runtime = new Command("runtime", "Run a chain of trivial activities with a commit per step (a new SQLite file, or the --db database) and suspend many instances; print the median cost per step and the memory per suspended instance.")
            { steps, runs, suspended };
        runtime.SetAction(async (parse, cancellationToken) =>
        {
            await new RuntimeBenchmark(parse.GetValue(steps), parse.GetValue(runs), parse.GetValue(suspended), parse.GetValue(db), Console.Out).RunAsync(cancellationToken);
            return 0;
        });
        return new Command("bench", "Benchmarks (they print measurements; they are not tests).") { runtime };
    }
}
