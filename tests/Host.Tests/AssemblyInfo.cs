// The host tests start real servers, QEMUs, zfs-fuse labs and a Chromium that boots Elsa Studio's 92 MB WebAssembly
// app; on a 2-core machine running them side by side starved the browser past its timeouts. One at a time is steadier.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
