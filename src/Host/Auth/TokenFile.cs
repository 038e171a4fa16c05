namespace Elsa.Migration.Host.Auth;

/// <summary>A file only its owner can read, holding one token.</summary>
public static class TokenFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes <paramref name="token"/> to a new file created with mode 0600. An existing file is removed first:
    /// opening it would keep its old mode, and the mode must hold from the first byte written.</summary>
    public static void Write(string path, string token)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = OwnerOnly;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.WriteLine(token);
    }
}
