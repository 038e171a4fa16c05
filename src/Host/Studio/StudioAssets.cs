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
public sealed partial class StudioAssets(IOptions<StudioOptions> options)
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
        return FindInRepository(StudioOptions.PackageFolder, IsPackage);
    }

    /// <summary>Walks up from the binary and from the working directory to the repository root that holds an npm install
    /// at <paramref name="relative"/>; null when none does.</summary>
    internal static string? FindInRepository(string relative, Func<string, bool> installed)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (installed(candidate))
                    return candidate;
            }
        }
        return null;
    }

    private static bool IsPackage(string folder) => File.Exists(Path.Combine(folder, "_framework", "blazor.webassembly.js"));

    /// <summary>
    /// Static file options for the package: Blazor's file types; the package's own Brotli copies (<c>X.wasm.br</c>, 3-4
    /// times smaller) served as <c>X.wasm</c> with <c>Content-Encoding: br</c> (<see cref="UsePrecompressed"/> picks
    /// them); fingerprinted files (<c>_framework/Name.{10-char hash}.wasm</c>: a new Studio version has new names) cached
    /// for a year as immutable, every other file revalidated (ETag, 304) so an upgrade is seen at once.
    /// </summary>
    internal StaticFileOptions FileOptions()
    {
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".wasm"] = "application/wasm";
        types.Mappings[".dat"] = "application/octet-stream";
        types.Mappings[".blat"] = "application/octet-stream";
        types.Mappings[".webmanifest"] = "application/manifest+json";
        return new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Folder!),
            ContentTypeProvider = new PrecompressedContentTypes(types),
            ServeUnknownFileTypes = false,
            OnPrepareResponse = ctx =>
            {
                var headers = ctx.Context.Response.Headers;
                var name = ctx.File.Name;
                if (name.EndsWith(BrotliSuffix, StringComparison.Ordinal))
                {
                    headers.ContentEncoding = "br";
                    name = name[..^BrotliSuffix.Length];
                }
                headers.Vary = "Accept-Encoding";
                headers.CacheControl = Fingerprinted().IsMatch(name) ? "public, max-age=31536000, immutable" : "no-cache";
            },
        };
    }

    /// <summary>Serves <c>X.br</c> for <c>X</c> when the browser accepts Brotli and the package holds the Brotli copy.</summary>
    internal Task UsePrecompressed(HttpContext context, Func<Task> next)
    {
        var path = context.Request.Path.Value;
        if (path is not null && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            && context.Request.Headers.AcceptEncoding.ToString().Contains("br", StringComparison.Ordinal)
            && Path.HasExtension(path) && !path.Contains("..", StringComparison.Ordinal)
            && File.Exists(Path.Combine(Folder!, path.TrimStart('/') + BrotliSuffix)))
            context.Request.Path = path + BrotliSuffix;
        return next();
    }

    private const string BrotliSuffix = ".br";

    // Blazor's publish output names files Name.{10 lowercase letters or digits}.ext; the name changes with the content.
    [System.Text.RegularExpressions.GeneratedRegex(@"\.[a-z0-9]{10}\.(wasm|js|dat|json|pdb)$")]
    private static partial System.Text.RegularExpressions.Regex Fingerprinted();

    /// <summary>The content type of <c>X.br</c> is that of <c>X</c>.</summary>
    private sealed class PrecompressedContentTypes(FileExtensionContentTypeProvider inner) : IContentTypeProvider
    {
        public bool TryGetContentType(string subpath, out string contentType) =>
            inner.TryGetContentType(subpath.EndsWith(BrotliSuffix, StringComparison.Ordinal) ? subpath[..^BrotliSuffix.Length] : subpath, out contentType!);
    }
}
