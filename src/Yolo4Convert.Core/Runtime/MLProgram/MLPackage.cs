using System.Text.Json;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>
/// An .mlpackage directory: Manifest.json names the root model item (a serialized Core ML Model) by identifier;
/// items live under Data/. The weights of an ML Program live beside the root model, in weights/.
/// </summary>
internal sealed record MLPackage(InputFolder Folder, string ModelRelative)
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestName = "Manifest.json";

    /// <summary>The root model as messages name it.</summary>
    public string ModelPath => Folder.PathOf(ModelRelative);

    /// <summary>The folder (relative to the package) that "@model_path" in a blob file name stands for: the root model's.</summary>
    public string ModelDirectory => ModelRelative[..Math.Max(0, ModelRelative.LastIndexOf('/'))];

    /// <summary>Opens the root model.</summary>
    public Stream OpenModel() => Folder.Open(ModelRelative) ?? throw new ModelFormatException($"the root model '{ModelRelative}' has gone from the package.", new SourceLocation(ModelPath));

    /// <summary>Reads the manifest of the package and finds its root model file.</summary>
    public static MLPackage Open(InputFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var manifest = folder.PathOf(ManifestName);
        using var manifestStream = folder.Open(ManifestName) ?? throw new ModelFormatException($"the package has no {ManifestName}; expected one at its top level.", new SourceLocation(manifest),
                "pass a .mlpackage directory written by yolo4convert or coremltools.");

        JsonDocument document;
        try
        {
            using var buffer = new MemoryStream();
            manifestStream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var bom = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
            document = JsonDocument.Parse(bytes.AsMemory(bom));
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{ManifestName} is not valid JSON ({ex.Message}).", Where(manifest, ex.LineNumber), "the package is damaged.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(manifest, $"the manifest is a JSON {root.ValueKind}; expected an object");
            }

            var version = Text(root, "fileFormatVersion", manifest);
            if (version.Split('.') is not { Length: 3 } parts || parts.Any(p => !int.TryParse(p, out var n) || n < 0) || parts[0] != "1")
            {
                throw new UnsupportedFeatureException($"{ManifestName} has fileFormatVersion '{Echo.Of(version)}'; the runtime reads version 1.x.y packages.", new SourceLocation(manifest));
            }

            var id = Text(root, "rootModelIdentifier", manifest);
            if (!root.TryGetProperty("itemInfoEntries", out var items) || items.ValueKind != JsonValueKind.Object)
            {
                throw Bad(manifest, "the manifest has no \"itemInfoEntries\" object");
            }

            if (!items.TryGetProperty(id, out var item) || item.ValueKind != JsonValueKind.Object)
            {
                throw Bad(manifest, $"the root model '{Echo.Of(id)}' has no entry in \"itemInfoEntries\"");
            }

            var relative = Text(item, "path", manifest);
            if (!Inside(relative))
            {
                throw Bad(manifest, $"the root model's path '{Echo.Of(relative)}' leaves the package's Data folder");
            }

            var model = "Data/" + relative.Replace('\\', '/');
            using (var exists = folder.Open(model))
            {
                if (exists is null)
                {
                    throw Bad(manifest, $"the root model 'Data/{Echo.Of(relative)}' does not exist");
                }
            }

            return new MLPackage(folder, model);
        }
    }

    /// <summary>Whether a relative path stays inside its folder: not rooted, no ".." step.</summary>
    public static bool Inside(string relative) =>
        relative.Length > 0 && !Path.IsPathRooted(relative) && relative.Split('/', '\\').All(step => step is not ".." and not "");

    private static string Text(JsonElement obj, string key, string manifest) =>
        obj.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw Bad(manifest, $"the manifest has no string \"{key}\"");

    private static ModelFormatException Bad(string manifest, string what) =>
        new($"{what}; expected a manifest naming the root model (coremltools' layout).", new SourceLocation(manifest),
            "the package is damaged; convert the model again.");

    private static SourceLocation Where(string file, long? line) => line is { } l ? SourceLocation.Text(file, (int)l + 1) : new SourceLocation(file);
}
