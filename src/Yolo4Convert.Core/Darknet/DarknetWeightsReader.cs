using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>
/// Reads a Darknet .weights file (load_weights_upto, src/parser.c): a 16- or 20-byte header, then a flat stream of
/// little-endian float32 whose layout only the cfg implies. Unlike Darknet, the file must match the cfg exactly:
/// a short file or leftover bytes is an error naming the layer and byte offset.
/// </summary>
public static class DarknetWeightsReader
{
    /// <summary>
    /// Reads the weights of <paramref name="shaped"/> from a seekable stream, whole. NaN, ±Inf and negative batch-norm
    /// variance go to <paramref name="warnings"/> (one line per layer), or fail in its strict mode.
    /// </summary>
    public static WeightedNetwork Read(ShapedNetwork shaped, Stream stream, string fileName, WarningLog? warnings = null)
    {
        var file = DarknetWeightsFile.Open(shaped, stream, fileName, warnings);
        var weights = new ConvWeights?[shaped.Network.Layers.Length];
        foreach (var layer in shaped.Network.Layers)
        {
            if (layer is ConvolutionalLayer c)
            {
                weights[c.Index] = file.ReadWhole(c);
            }
        }

        return new WeightedNetwork(shaped.Network, [.. weights], file.Header);
    }

    /// <summary>The exact file size the cfg needs with a header of <paramref name="headerSize"/> bytes.</summary>
    public static long ExpectedSize(ShapedNetwork shaped, int headerSize = 20)
    {
        ArgumentNullException.ThrowIfNull(shaped);
        return headerSize + (4 * shaped.TotalWeightFloats);
    }

    /// <summary>Reads <paramref name="values"/>.Length little-endian floats.</summary>
    internal static void ReadFloats(Stream stream, Span<float> values)
    {
        stream.ReadExactly(MemoryMarshal.AsBytes(values));
        if (!BitConverter.IsLittleEndian)
        {
            var ints = MemoryMarshal.Cast<float, int>(values);
            BinaryPrimitives.ReverseEndianness(ints, ints);
        }
    }

    internal static float[] ReadFloats(Stream stream, int count)
    {
        var values = GC.AllocateUninitializedArray<float>(count);
        ReadFloats(stream, values);
        return values;
    }

    internal static WeightsHeader ReadHeader(Stream stream, long length, string fileName)
    {
        // More than the header is read for sniffing: an HTML page may start with a BOM and blank lines.
        Span<byte> start = stackalloc byte[SniffBytes];
        var read = stream.ReadAtLeast(start, SniffBytes, throwOnEndOfStream: false);
        Sniff(start[..read], length, fileName);
        var got = Math.Min(read, 20);
        var head = start[..20];
        if (got < 16)
        {
            throw new DarknetFormatException($"the file is {length} bytes long; expected at least a 16-byte Darknet header.",
                SourceLocation.Bytes(fileName, got), "the download is probably incomplete.");
        }

        var major = BinaryPrimitives.ReadInt32LittleEndian(head);
        var minor = BinaryPrimitives.ReadInt32LittleEndian(head[4..]);
        var revision = BinaryPrimitives.ReadInt32LittleEndian(head[8..]);
        if (major < 0 || minor < 0 || revision < 0 || major > 1000 || minor > 1000)
        {
            throw new DarknetFormatException(
                $"the header says version {major}.{minor}.{revision}; expected a Darknet version such as 0.2.5.",
                SourceLocation.Bytes(fileName, 0), "this does not look like a Darknet .weights file.");
        }

        // AlexeyAB: seen is a uint64 when major*10+minor >= 2, else a uint32 (pjreddie's yolov2.weights uses 16 bytes).
        var wide = (major * 10) + minor >= 2;
        var size = wide ? 20 : 16;
        if (wide && got < 20)
        {
            throw new DarknetFormatException($"the file is {length} bytes long; expected at least the 20-byte header of version {major}.{minor}.",
                SourceLocation.Bytes(fileName, got), "the download is probably incomplete.");
        }

        var seen = wide ? (long)BinaryPrimitives.ReadUInt64LittleEndian(head[12..]) : BinaryPrimitives.ReadUInt32LittleEndian(head[12..]);
        stream.Position = size;
        return new WeightsHeader(major, minor, revision, seen, size);
    }

    /// <summary>How many leading bytes are looked at to recognise a text file saved as weights.</summary>
    private const int SniffBytes = 512;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static void Sniff(ReadOnlySpan<byte> head, long length, string fileName)
    {
        if (length == 0)
        {
            throw new DarknetFormatException("the weights file is empty (0 bytes); expected a Darknet .weights file.",
                SourceLocation.Bytes(fileName, 0), "the download or copy failed; fetch the file again.");
        }

        // A text file saved by an editor or a browser may start with a UTF-8 byte order mark and whitespace.
        var text = Encoding.ASCII.GetString(head.StartsWith(Utf8Bom) ? head[Utf8Bom.Length..] : head).TrimStart();
        if (text.StartsWith("version https://git-lfs", StringComparison.Ordinal) || text.StartsWith("version http", StringComparison.Ordinal))
        {
            throw new DarknetFormatException($"the weights file is a Git LFS pointer ({length} bytes), not the weights themselves.",
                SourceLocation.Bytes(fileName, 0), "run 'git lfs pull' in the repository the file came from.");
        }

        if (text.StartsWith('<'))
        {
            throw new DarknetFormatException($"the weights file starts with '{Echo.Of(text[..Math.Min(5, text.Length)])}': it is an HTML page ({length} bytes), not Darknet weights.",
                SourceLocation.Bytes(fileName, 0), "the link pointed to a web page (e.g. a Google Drive or GitHub page); download the raw file.");
        }
    }

    internal static DarknetFormatException Mismatch(ShapedNetwork shaped, WeightsHeader header, long length, long expected, string fileName)
    {
        var sizes = $"expected {expected:N0} bytes ({header.Size}-byte header + {shaped.TotalWeightFloats:N0} floats), found {length:N0}";
        var fit = ClassesThatFit(shaped, (length - header.Size) / 4.0);
        var cause = fit is not null
            ? $"the weights fit this cfg with classes={fit.Value.Classes} ({fit.Value.Filters} in the convolution before each head) where the cfg says classes={fit.Value.Current}: pass the cfg the weights were trained with."
            : "the cfg does not match the weights: were classes/filters edited, or is this the cfg of another model (e.g. tiny vs full)?";
        if (length > expected)
        {
            return new DarknetFormatException($"{length - expected:N0} bytes are left over after the last layer; {sizes}.",
                SourceLocation.Bytes(fileName, expected), cause);
        }

        long offset = header.Size;
        foreach (var layer in shaped.Network.Layers)
        {
            var bytes = 4 * shaped.WeightFloats(layer);
            if (offset + bytes > length)
            {
                var short_ = expected - length;
                return new DarknetFormatException(
                    $"the file ends at byte {length:N0}, inside layer {layer.Index} [{layer.Kind}] (line {layer.Source.Line}) which needs bytes {offset:N0}..{offset + bytes:N0}; {sizes}, {short_:N0} short.",
                    SourceLocation.Bytes(fileName, length),
                    short_ % 4 != 0 ? "the size is not a whole number of floats: the download is probably truncated."
                        : fit is null ? $"{cause} Or was the download interrupted? Compare the file's size with the published one."
                        : cause);
            }

            offset += bytes;
        }

        throw new InvalidOperationException("weights size mismatch not located");
    }

    // The most common mismatch: a cfg edited for another number of classes. Each head's conv holds
    // masks·(classes + coords + 1) filters, so the file size is linear in classes; solve for it.
    private static (int Classes, string Filters, int Current)? ClassesThatFit(ShapedNetwork shaped, double floats)
    {
        var heads = shaped.Network.Heads.ToList();
        if (heads.Count == 0 || heads.Select(h => h.Classes).Distinct().Count() != 1)
        {
            return null;
        }

        long perClass = 0;
        foreach (var head in heads)
        {
            if (shaped.Network.Layers[head.Inputs[0]] is not ConvolutionalLayer conv)
            {
                return null;
            }

            var anchors = AnchorCount(head);
            perClass += anchors * ((conv.BatchNormalize ? 4 : 1) + ((long)shaped.InputShape(conv).C / conv.Groups * conv.Size * conv.Size));
        }

        var delta = floats - shaped.TotalWeightFloats;
        var current = heads[0].Classes;
        if (delta % 1 != 0 || (long)delta % perClass != 0 || current + ((long)delta / perClass) < 1)
        {
            return null;
        }

        var classes = (int)(current + ((long)delta / perClass));
        var filters = string.Join("/", heads.Select(h => $"filters={AnchorCount(h) * (classes + (h is GaussianYoloLayer ? 9 : 5))}").Distinct());
        return (classes, filters, current);
    }

    private static int AnchorCount(HeadLayer head) => head switch
    {
        YoloLayer y => y.Mask.Length,
        GaussianYoloLayer g => g.Mask.Length,
        _ => ((RegionLayer)head).Num,
    };
}
