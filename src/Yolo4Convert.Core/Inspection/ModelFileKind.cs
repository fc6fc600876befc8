using System.Buffers.Binary;
using Yolo4Convert.Darknet;

namespace Yolo4Convert.Inspection;

/// <summary>What a file is, judged by its first bytes rather than its name.</summary>
public enum ModelFileKind
{
    /// <summary>Binary data of no format yolo4convert reads.</summary>
    Unknown,

    /// <summary>Text: a Darknet cfg, presumably.</summary>
    Text,

    /// <summary>A Core ML .mlmodel: a Model protobuf, which starts with its specificationVersion or description field.</summary>
    CoreMLModel,

    /// <summary>An HDF5 file (a Keras .h5): the signature \x89HDF\r\n\x1a\n at offset 0, 512, 1024 or 2048.</summary>
    Hdf5,

    /// <summary>A Darknet .weights file: a header of three small version numbers.</summary>
    DarknetWeights,
}

/// <summary>Tells the formats yolo4convert reads apart by content.</summary>
public static class ModelFileSniffer
{
    /// <summary>The bytes <see cref="Of(byte[], long)"/> looks at.</summary>
    public const int Window = 8192;

    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    /// <summary>The kind of <paramref name="file"/>, by its first bytes and length.</summary>
    public static ModelFileKind Of(Diagnostics.InputFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var stream = file.Open();
        var head = new byte[(int)Math.Min(Window, stream.Length)];
        stream.ReadExactly(head);
        return Of(head, stream.Length);
    }

    /// <summary>The kind of a file of <paramref name="length"/> bytes that starts with <paramref name="head"/>.</summary>
    public static ModelFileKind Of(byte[] head, long length)
    {
        foreach (var offset in (int[])[0, 512, 1024, 2048])
        {
            if (head.Length >= offset + Hdf5Signature.Length && head.AsSpan(offset, Hdf5Signature.Length).SequenceEqual(Hdf5Signature))
            {
                return ModelFileKind.Hdf5;
            }
        }

        if (!CfgTextSniffer.IsBinary(head))
        {
            return ModelFileKind.Text;
        }

        if (LooksLikeModel(head))
        {
            return ModelFileKind.CoreMLModel;
        }

        return LooksLikeWeights(head, length) ? ModelFileKind.DarknetWeights : ModelFileKind.Unknown;
    }

    // Field 1 (specificationVersion, varint) with a value from 1 to 127, or field 2 (description, length-delimited)
    // with a length that fits: how every Core ML writer (ours, coremltools) starts a Model message.
    private static bool LooksLikeModel(ReadOnlySpan<byte> head) =>
        head.Length >= 2 && ((head[0] == 0x08 && head[1] is >= 1 and < 0x80) || (head[0] == 0x12 && head[1] != 0));

    // major, minor, revision: three small non-negative int32s, then the images seen.
    private static bool LooksLikeWeights(ReadOnlySpan<byte> head, long length)
    {
        if (head.Length < 16 || length < 16)
        {
            return false;
        }

        for (var i = 0; i < 3; i++)
        {
            if (BinaryPrimitives.ReadInt32LittleEndian(head[(4 * i)..]) is < 0 or > 1000)
            {
                return false;
            }
        }

        return true;
    }
}
