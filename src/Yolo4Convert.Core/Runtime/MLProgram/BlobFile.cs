using System.Buffers.Binary;
using CoreML.Specification.MILSpec;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>
/// A MIL blob storage file (weight.bin, format version 2): a 64-byte header (count, version), then per blob a
/// 64-byte metadata record (sentinel 0xDEADBEEF, blob dtype, size in bytes, absolute data offset) and its data.
/// A program refers to a blob by the offset of its metadata record. Every check fails as a located
/// <see cref="ModelFormatException"/>: the file and the byte offset of the field at fault.
/// </summary>
internal sealed class BlobFile : IDisposable
{
    /// <summary>The metadata sentinel.</summary>
    public const uint Sentinel = 0xDEADBEEF;

    private const int RecordSize = 64;
    private const string Hint = "the package's weight file is damaged or was not written with it; convert the model again.";
    private readonly Stream _stream;

    private BlobFile(string path, Stream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Takes an open weight file (named <paramref name="path"/> in messages; disposed with this) and checks its storage header.</summary>
    public static BlobFile Open(Stream stream, string path)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var file = new BlobFile(path, stream);
        try
        {
            if (stream.Length < RecordSize)
            {
                throw file.Bad(0, $"the file is {stream.Length} bytes, shorter than the 64-byte storage header");
            }

            var header = file.ReadAt(0, RecordSize);
            var version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            if (version != 2)
            {
                throw file.Bad(4, $"the storage header declares format version {version}; expected 2");
            }

            return file;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The <paramref name="count"/> elements of the blob whose metadata is at <paramref name="offset"/>, as float32;
    /// <paramref name="type"/> is the dtype the program declares for it (fp16, fp32, uint8 or int8).
    /// </summary>
    public float[] Read(ulong offset, DataType type, long count)
    {
        var length = _stream.Length;
        var at = (long)Math.Min(offset, long.MaxValue);
        if (offset < RecordSize || offset > (ulong)length || (ulong)length - offset < RecordSize)
        {
            throw Bad(at, $"the blob metadata at offset {offset} lies outside the file ({length} bytes); expected a record of 64 bytes after the header");
        }

        var meta = ReadAt(at, RecordSize);
        var sentinel = BinaryPrimitives.ReadUInt32LittleEndian(meta);
        if (sentinel != Sentinel)
        {
            throw Bad(at, $"the blob metadata starts with 0x{sentinel:X8}; expected the sentinel 0xDEADBEEF");
        }

        var (code, size) = Storage(type);
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(meta.AsSpan(4));
        if (stored != code)
        {
            throw Bad(at + 4, $"the blob's data type code is {stored}; the program declares {type} (code {code})");
        }

        var bytes = BinaryPrimitives.ReadUInt64LittleEndian(meta.AsSpan(8));
        if (bytes != (ulong)(count * size))
        {
            throw Bad(at + 8, $"the blob holds {bytes} bytes; the program declares {count} {type} values ({count * size} bytes)");
        }

        var data = BinaryPrimitives.ReadUInt64LittleEndian(meta.AsSpan(16));
        if (data > (ulong)length || (ulong)length - data < bytes || bytes > int.MaxValue)
        {
            throw Bad(at + 16, $"the blob's data at offset {data} ({bytes} bytes) runs past the end of the file ({length} bytes)");
        }

        var raw = ReadAt((long)data, (int)bytes);
        var values = new float[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                DataType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(raw.AsSpan(2 * i)),
                DataType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * i)),
                DataType.Uint8 => raw[i],
                _ => (sbyte)raw[i],
            };
        }

        return values;
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    /// <summary>The blob storage code and element size of a declared dtype; others cannot be stored in the file.</summary>
    private (uint Code, int Size) Storage(DataType type) => type switch
    {
        DataType.Float16 => (1, 2),
        DataType.Float32 => (2, 4),
        DataType.Uint8 => (3, 1),
        DataType.Int8 => (4, 1),
        _ => throw new UnsupportedFeatureException($"a constant of type {type} is stored in the weight file; the runtime reads fp16, fp32, uint8 and int8 blobs.", new SourceLocation(Path)),
    };

    private byte[] ReadAt(long offset, int count)
    {
        var buffer = new byte[count];
        _stream.Position = offset;
        _stream.ReadExactly(buffer);
        return buffer;
    }

    private ModelFormatException Bad(long offset, string what) => new($"{what}.", SourceLocation.Bytes(Path, offset), Hint);
}
