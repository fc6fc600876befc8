using System.Text.Json;

namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>
/// A package's <c>Manifest.json</c>: format version 1.0.0, the root model item and the weights item, under
/// identifiers derived from the package's content (UUID-shaped, so the same content gives the same manifest).
/// </summary>
internal static class PackageManifest
{
    /// <summary>Writes the manifest; <paramref name="contentHash"/> identifies the package's content.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> contentHash)
    {
        var model = Identifier(contentHash, "model.mlmodel");
        var weights = Identifier(contentHash, "weights");
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentSize = 4 });
        json.WriteStartObject();
        json.WriteString("fileFormatVersion", "1.0.0");
        json.WriteStartObject("itemInfoEntries");
        foreach (var (id, name, description) in new[] { (model, "model.mlmodel", "CoreML Model Specification"), (weights, "weights", "CoreML Model Weights") }
            .OrderBy(e => e.Item1, StringComparer.Ordinal))
        {
            json.WriteStartObject(id);
            json.WriteString("author", "com.apple.CoreML");
            json.WriteString("description", description);
            json.WriteString("name", name);
            json.WriteString("path", "com.apple.CoreML/" + name);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteString("rootModelIdentifier", model);
        json.WriteEndObject();
        json.Flush();
        stream.WriteByte((byte)'\n');
    }

    // The first 16 bytes of SHA-256(content hash, item name) as an RFC 9562 version-8 UUID, upper case.
    private static string Identifier(ReadOnlySpan<byte> contentHash, string item)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData([.. contentHash, .. System.Text.Encoding.UTF8.GetBytes(item)]).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexString(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
