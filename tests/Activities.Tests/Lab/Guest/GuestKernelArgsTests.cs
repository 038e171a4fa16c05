using Elsa.Migration.Lab.Guest;

namespace Elsa.Migration.Activities.Tests.Lab.Guest;

public sealed class GuestKernelArgsTests
{
    [Fact]
    public void ToAppendString_WithDefaults_ShouldCarryEveryKnobWithoutDots()
    {
        var append = new GuestKernelArgs().ToAppendString();

        Assert.Equal("console=ttyS0 quiet panic=-1 elsa_disk=vda elsa_format=auto elsa_rate=20 elsa_region_blocks=256", append);
        // Dotted parameters are module parameters: they would never reach init's environment.
        Assert.All(append.Split(' ').Where(p => p.StartsWith("elsa_", StringComparison.Ordinal)),
            p => Assert.DoesNotContain('.', p.Split('=')[0]));
    }

    [Fact]
    public void ToAppendString_WithMaxRateForceFormatAndAnotherDisk_ShouldSaySo()
    {
        var append = new GuestKernelArgs
        {
            DataDisk = "vdb",
            Format = GuestDiskFormat.Force,
            BlocksPerSecond = null,
            RegionBlocks = 4096,
            QuietKernel = false,
        }.ToAppendString();

        Assert.Equal("console=ttyS0 panic=-1 elsa_disk=vdb elsa_format=force elsa_rate=max elsa_region_blocks=4096", append);
    }

    [Theory]
    [InlineData("vda; rm -rf /")]
    [InlineData("../sda")]
    [InlineData("VDA")]
    [InlineData("")]
    public void ToAppendString_WithAnInvalidDiskName_ShouldThrow(string disk)
    {
        var error = Assert.Throws<ArgumentException>(() => new GuestKernelArgs { DataDisk = disk }.ToAppendString());

        Assert.Contains("DataDisk", error.Message);
    }

    [Fact]
    public void ToAppendString_WithANonPositiveRateOrRegion_ShouldThrow()
    {
        Assert.Throws<ArgumentException>(() => new GuestKernelArgs { BlocksPerSecond = 0 }.ToAppendString());
        Assert.Throws<ArgumentException>(() => new GuestKernelArgs { RegionBlocks = -1 }.ToAppendString());
    }
}
