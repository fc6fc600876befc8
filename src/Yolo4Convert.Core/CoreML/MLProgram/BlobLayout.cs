using System.Buffers.Binary;
using CoreML.Specification.MILSpec;

namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>One blob of weight.bin: where its metadata record is, its data's dtype and element count.</summary>
internal sealed record BlobSlot(long MetadataOffset, DataType DataType, long Count)
{
    /// <summary>Bytes per element of the dtypes we store.</summary>
    public int ItemSize => DataType switch
    {
        DataType.Float16 => 2,
        DataType.Float32 => 4,
        DataType.Uint8 or DataType.Int8 => 1,
        _ => throw new InvalidOperationException($"no blob storage for {DataType}"),
    };

    /// <summary>The data's size in bytes.</summary>
    public long SizeInBytes => Count * ItemSize;

    /// <summary>The absolute offset of the data: right after the 64-byte metadata record.</summary>
    public long DataOffset => MetadataOffset + BlobLayout.RecordSize;

    /// <summary>The BlobDataType code of weight.bin (not the MIL DataType number).</summary>
    public uint BlobDataType => DataType switch
    {
        DataType.Float16 => 1,
        DataType.Float32 => 2,
        DataType.Uint8 => 3,
        DataType.Int8 => 4,
        _ => throw new InvalidOperationException($"no blob storage for {DataType}"),
    };
}

/// <summary>
/// The layout of a MIL blob storage file (version 2): a 64-byte header, then per blob a 64-byte metadata record
/// at the next 64-byte boundary and its data right after it. Every offset follows from the element counts, so a
/// program can reference its blobs before any value is read, and the file can be streamed front to back.
/// </summary>
internal sealed class BlobLayout(string fileName = BlobLayout.FileName)
{
    /// <summary>The size of the header and of each metadata record; also the alignment of every record.</summary>
    public const int RecordSize = 64;

    /// <summary>The weight file as the program references it.</summary>
    public const string FileName = "@model_path/weights/weight.bin";

    private const uint Sentinel = 0xDEADBEEF;

    private readonly List<BlobSlot> _slots = [];
    private long _end = RecordSize;

    /// <summary>The blobs in file order.</summary>
    public IReadOnlyList<BlobSlot> Slots => _slots;

    /// <summary>The file's total length.</summary>
    public long Length => _end;

    /// <summary>Places a blob of <paramref name="count"/> (≥ 1) elements after the others.</summary>
    public BlobSlot Add(DataType dataType, long count)
    {
        if (count <= 0)
        {
            throw new InvalidOperationException("an empty tensor cannot be a blob");
        }

        var slot = new BlobSlot(Align(_end), dataType, count);
        _slots.Add(slot);
        _end = slot.DataOffset + slot.SizeInBytes;
        return slot;
    }

    /// <summary>A reference to <paramref name="slot"/> in this file as a value of the declared <paramref name="shape"/>.</summary>
    public Value Reference(BlobSlot slot, params long[] shape) => new()
    {
        Type = MilBlockBuilder.Tensor(slot.DataType, shape),
        BlobFileValue = new Value.Types.BlobFileValue { FileName = fileName, Offset = (ulong)slot.MetadataOffset },
    };

    /// <summary>The next multiple of 64 at or after <paramref name="offset"/>.</summary>
    public static long Align(long offset) => (offset + RecordSize - 1) / RecordSize * RecordSize;

    /// <summary>The storage header: blob count, version 2, reserved zeros.</summary>
    public byte[] Header()
    {
        var header = new byte[RecordSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)_slots.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 2);
        return header;
    }

    /// <summary>A blob's metadata record: sentinel, dtype code, size, absolute data offset, reserved zeros.</summary>
    public static byte[] Metadata(BlobSlot slot)
    {
        var record = new byte[RecordSize];
        BinaryPrimitives.WriteUInt32LittleEndian(record, Sentinel);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), slot.BlobDataType);
        BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(8), (ulong)slot.SizeInBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(16), (ulong)slot.DataOffset);
        return record;
    }
}
