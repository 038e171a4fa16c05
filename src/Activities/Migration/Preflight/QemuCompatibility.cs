using System.Globalization;
using System.Text.RegularExpressions;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>What QEMU runs the VM on the source and would run it on the target.</summary>
internal sealed record QemuFacts(string SourceVersion, string TargetVersion, string Machine, string Accelerator);

/// <summary>
/// Whether the target's QEMU can receive this VM: a version no older than the source's (a migration stream is read by
/// the same or a newer QEMU), the VM profile's machine type (<c>-machine help</c>), and the same accelerator as the
/// source runs (<c>query-kvm</c> against the plan's <c>-accel</c>, with <c>/dev/kvm</c> there for KVM).
/// </summary>
internal static partial class QemuCompatibility
{
    public static async Task<QemuFacts> CheckAsync(MigrationPlan plan, QmpClient source, NodeExecutor target, PreflightFindings findings, CancellationToken ct)
    {
        var machine = ArgumentAfter(plan.TargetQemuArgs, "-machine") ?? "pc";
        var accel = ArgumentAfter(plan.TargetQemuArgs, "-accel") ?? "tcg";
        var sourceVersion = source.QemuVersion;
        var versionText = (await target.RunAsync(new NodeCommand(plan.QemuBinary, "--version"), ct)).StandardOutput;
        var targetVersion = VersionRegex().Match(versionText) is { Success: true } m
            ? new Version(Int(m.Groups[1]), Int(m.Groups[2]), Int(m.Groups[3]))
            : throw new InvalidOperationException($"{plan.QemuBinary} --version on {plan.TargetNode} printed no QEMU version: '{versionText.Trim()}'.");
        if (targetVersion < sourceVersion)
            findings.Refuse("qemu-version", $"QEMU on the target {plan.TargetNode} is {targetVersion}, older than the source's {sourceVersion}: " +
                $"a migration stream is read only by the same or a newer QEMU. Upgrade QEMU on {plan.TargetNode}.");

        var machines = (await target.RunAsync(new NodeCommand(plan.QemuBinary, "-machine", "help"), ct)).StandardOutput
            .Split('\n').Select(l => l.Split(' ', 2)[0].Trim()).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        if (!machines.Contains(machine))
            findings.Refuse("machine-type", $"QEMU on the target {plan.TargetNode} has no machine type '{machine}' (the VM profile's): " +
                "install a QEMU that has it there, or change the profile's machine to one both nodes have.");

        var kvm = await source.ExecuteAsync("query-kvm", cancellationToken: ct);
        var sourceAccel = kvm?["enabled"]?.GetValue<bool>() == true ? "kvm" : "tcg";
        if (sourceAccel != accel)
            findings.Refuse("accelerator", $"VM {plan.VmId} runs under {sourceAccel.ToUpperInvariant()} on {plan.SourceNode} but would start under " +
                $"{accel.ToUpperInvariant()} on {plan.TargetNode}: CPU state does not move between the two. Give the VM profile an explicit accel both nodes have.");
        else if (accel == "kvm" && !(await target.AskAsync(new NodeCommand("test", "-c", "/dev/kvm"), ct)).Succeeded)
            findings.Refuse("accelerator", $"The target {plan.TargetNode} has no /dev/kvm: it cannot run the VM under KVM.");
        return new QemuFacts(sourceVersion.ToString(), targetVersion.ToString(), machine, accel);
    }

    private static string? ArgumentAfter(IReadOnlyList<string> args, string option)
    {
        var at = args.ToList().IndexOf(option);
        return at >= 0 && at + 1 < args.Count ? args[at + 1] : null;
    }

    private static int Int(Group group) => int.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"version (\d+)\.(\d+)\.(\d+)")]
    private static partial Regex VersionRegex();
}
