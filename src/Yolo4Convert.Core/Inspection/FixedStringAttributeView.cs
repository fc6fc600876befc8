namespace Yolo4Convert.Inspection;

/// <summary>
/// A read-only view of a Keras .h5 for PureHDF's reader. Keras' name arrays (layer_names, weight_names and their
/// numbered parts) are fixed-length string attributes whose datatype message keeps 8 unused bytes
/// (<c>Hdf5FixedStrings</c> writes them so; HDF5 and h5py skip them by the declared datatype size), but PureHDF
/// 2.2 reads the next message right after the string datatype and fails. This view shows such a datatype as the
/// opaque type with an 8-byte tag it was written as, which PureHDF reads; nothing else changes.
/// </summary>
internal sealed class FixedStringAttributeView : Stream
{
    // String class 3 version 1, null-padded ASCII; as opaque class 5 version 1 with an 8-byte tag.
    private static readonly byte[] StringType = [0x13, 0x01, 0x00, 0x00];
    private static readonly byte[] OpaqueType = [0x15, 0x08, 0x00, 0x00];

    private readonly Stream _inner;
    private readonly List<long> _patches = [];

    /// <summary>Finds every such datatype: one pass over the file, a megabyte at a time.</summary>
    public FixedStringAttributeView(Stream inner)
    {
        _inner = inner;
        const int Chunk = 1 << 20, Overlap = 64;
        var buffer = new byte[Chunk + Overlap];
        long start = 0;
        var kept = 0;
        while (true)
        {
            var read = inner.Read(buffer, kept, Chunk);
            var span = buffer.AsSpan(0, kept + read);
            foreach (var at in Matches(span))
            {
                var position = start + at;
                if (_patches.Count == 0 || position > _patches[^1])
                {
                    _patches.Add(position);
                }
            }

            if (read == 0)
            {
                break;
            }

            var keep = Math.Min(Overlap, span.Length);
            start += span.Length - keep;
            span[^keep..].CopyTo(buffer);
            kept = keep;
        }

        inner.Position = 0;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _inner.Length;

    public override long Position { get => _inner.Position; set => _inner.Position = value; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var position = _inner.Position;
        var read = _inner.Read(buffer);
        foreach (var at in _patches)
        {
            for (var i = 0; i < OpaqueType.Length; i++)
            {
                var k = at + i - position;
                if (k >= 0 && k < read)
                {
                    buffer[(int)k] = OpaqueType[i];
                }
            }
        }

        return read;
    }

    public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // "…names\0" or "…names<digits>\0" followed by the string datatype.
    private static List<int> Matches(ReadOnlySpan<byte> data)
    {
        var found = new List<int>();
        for (var at = data.IndexOf(StringType); at >= 0;)
        {
            if (at >= 7 && data[at - 1] == 0 && EndsWithNames(data[..(at - 1)]))
            {
                found.Add(at);
            }

            var next = data[(at + 1)..].IndexOf(StringType);
            at = next < 0 ? -1 : at + 1 + next;
        }

        return found;
    }

    private static bool EndsWithNames(ReadOnlySpan<byte> text)
    {
        var end = text.Length;
        while (end > 0 && text[end - 1] is >= (byte)'0' and <= (byte)'9')
        {
            end--;
        }

        return text[..end].EndsWith("_names"u8);
    }
}
