namespace Elsa.Migration.Lab;

/// <summary>Content for lab disk images: random (incompressible, and any mix-up between disks shows in a compare).</summary>
public static class DiskContent
{
    /// <summary>Overwrites <paramref name="length"/> bytes of the file at <paramref name="path"/> from <paramref name="offset"/> with random data, flushed.</summary>
    public static async Task FillRandomAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        for (long done = 0; done < length; done += buffer.Length)
        {
            Random.Shared.NextBytes(buffer);
            await fs.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - done)), cancellationToken);
        }
        await fs.FlushAsync(cancellationToken);
    }
}
