using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Studio;

/// <summary>Where the Elsa Studio 3.8.2 npm package was installed (by scripts/setup.d/10-studio-assets.sh).</summary>
public sealed class StudioOptions
{
    public const string Section = "Studio";
    public const string PackageVersion = "3.8.2";
    internal const string PackageFolder = "src/Host/Studio/assets/node_modules/@elsa-workflows/elsa-studio-wasm";

    /// <summary>The unpacked package folder (with <c>_framework</c> and <c>_content</c>). Found automatically when empty.</summary>
    public string? AssetsPath { get; set; }
}

/// <summary>Finds the installed Studio package and serves it at the site root (its pages use <c>&lt;base href="/"&gt;</c>).</summary>
public sealed class StudioAssets(IOptions<StudioOptions> options)
{
    /// <summary>The package folder, or null when Studio is not installed (the API still works; the designer pages say so).</summary>
    public string? Folder { get; } = Locate(options.Value.AssetsPath);

    internal static string? Locate(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return IsPackage(configured) ? Path.GetFullPath(configured)
                : throw new DirectoryNotFoundException(
                    $"Studio:AssetsPath '{configured}' does not hold the Elsa Studio package (no _framework/blazor.webassembly.js). " +
                    "Run ./scripts/setup.sh or fix the path.");
        // Walk up from the binary and from the working directory to the repository root that holds the npm install.
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, StudioOptions.PackageFolder);
                if (IsPackage(candidate))
                    return candidate;
            }
        }
        return null;
    }

    private static bool IsPackage(string folder) => File.Exists(Path.Combine(folder, "_framework", "blazor.webassembly.js"));

    /// <summary>Static file options for the package: Blazor's file types, no caching surprises during upgrades.</summary>
    internal StaticFileOptions FileOptions()
    {
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".wasm"] = "application/wasm";
        types.Mappings[".dat"] = "application/octet-stream";
        types.Mappings[".blat"] = "application/octet-stream";
        types.Mappings[".webmanifest"] = "application/manifest+json";
        // Satellite resource folders and pdb-less assemblies only; everything the package holds is public anyway.
        return new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Folder!),
            ContentTypeProvider = types,
            ServeUnknownFileTypes = false,
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache",
        };
    }
}
