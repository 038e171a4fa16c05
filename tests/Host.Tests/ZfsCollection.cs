namespace Elsa.Migration.Host.Tests;

/// <summary>Tests that use the machine's single zfs-fuse daemon never run in parallel with each other.</summary>
[CollectionDefinition("zfs", DisableParallelization = true)]
public sealed class ZfsCollection;
