namespace Yolo4Convert.Keras;

/// <summary>
/// Passes PureHDF's output through to the file and notes the byte ranges it writes outside dataset payloads (object
/// headers, heaps, the superblock), so the fixed-string patch reads back those few kilobytes and not the weights.
/// A seek to where the stream already is does not reach the file: PureHDF seeks before almost every piece of an
/// object header, and a FileStream writes out its buffer on every seek (thousands of small writes otherwise).
/// </summary>
internal sealed class Hdf5MetadataStream(Stream inner) : Stream
{
    private readonly List<(long Start, long End)> _metadata = [];

    /// <summary>Set while a dataset's values are being written.</summary>
    public bool InPayload { get; set; }

    public IReadOnlyList<(long Start, long End)> Metadata => _metadata;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set
        {
            if (inner.Position != value)
            {
                inner.Position = value;
            }
        }
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override long Seek(long offset, SeekOrigin origin) =>
        origin == SeekOrigin.Begin && offset == inner.Position ? offset : inner.Seek(offset, origin);

    public override void SetLength(long value) => inner.SetLength(value);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Note(buffer.Length);
        inner.Write(buffer);
    }

    public override void WriteByte(byte value)
    {
        Note(1);
        inner.WriteByte(value);
    }

    private void Note(int count)
    {
        if (InPayload || count == 0)
        {
            return;
        }

        var start = inner.Position;
        if (_metadata.Count > 0 && _metadata[^1].End == start)
        {
            _metadata[^1] = (_metadata[^1].Start, start + count);
        }
        else
        {
            _metadata.Add((start, start + count));
        }
    }
}
