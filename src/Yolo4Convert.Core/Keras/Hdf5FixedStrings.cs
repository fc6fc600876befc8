using System.Buffers.Binary;
using System.Text;

namespace Yolo4Convert.Keras;

/// <summary>
/// Fixed-length string attributes for PureHDF output. PureHDF 2.2 picks one string length for a whole file
/// (variable-length by default), but Keras' name arrays must be fixed-length byte strings while model_config, far
/// over 64 KiB, must stay variable-length. So the name arrays are written as opaque elements of the same byte
/// size, and this pass turns their datatype into a null-padded ASCII string of that size, in place, then refreshes
/// the checksum of the object-header chunk (lookup3, as HDF5 computes it).
/// </summary>
internal static class Hdf5FixedStrings
{
    /// <summary>The element size of a name array: its longest name in UTF-8 bytes (at least 1).</summary>
    public static int ElementSize(IReadOnlyList<string> names) => Math.Max(1, names.Count == 0 ? 1 : names.Max(n => Encoding.UTF8.GetByteCount(n)));

    public static (byte[] Data, int Length) Encode(IReadOnlyList<string> names, int? elementSize = null)
    {
        var length = elementSize ?? ElementSize(names);
        var data = new byte[names.Count * length];
        for (var i = 0; i < names.Count; i++)
        {
            Encoding.UTF8.GetBytes(names[i], data.AsSpan(i * length));
        }

        return (data, length);
    }

    /// <summary>Rewrites every opaque attribute called <paramref name="attributeName"/> as a fixed-length string.</summary>
    public static int Patch(byte[] file, string attributeName)
    {
        var name = Encoding.ASCII.GetBytes(attributeName + "\0");
        var patched = 0;
        for (var at = file.AsSpan().IndexOf(name); at >= 0;)
        {
            patched += PatchAt(file, at, name.Length) ? 1 : 0;
            var next = file.AsSpan(at + 1).IndexOf(name);
            at = next < 0 ? -1 : at + 1 + next;
        }

        return patched;
    }

    /// <summary>
    /// The same patch on a file being written: only the given byte ranges (the metadata PureHDF wrote, where the
    /// attributes and their object headers are) are read back, patched and written again.
    /// </summary>
    public static int Patch(Stream file, IReadOnlyList<(long Start, long End)> ranges, params string[] attributeNames)
    {
        var patched = 0;
        foreach (var (start, end) in Coalesce(ranges))
        {
            var region = new byte[checked((int)(end - start))];
            file.Position = start;
            file.ReadExactly(region);
            var count = attributeNames.Sum(n => Patch(region, n));
            if (count > 0)
            {
                file.Position = start;
                file.Write(region);
                patched += count;
            }
        }

        file.Seek(0, SeekOrigin.End);
        return patched;
    }

    private static IEnumerable<(long Start, long End)> Coalesce(IReadOnlyList<(long Start, long End)> ranges)
    {
        (long Start, long End)? current = null;
        foreach (var r in ranges.OrderBy(r => r.Start))
        {
            if (current is { } c && r.Start <= c.End)
            {
                current = (c.Start, Math.Max(c.End, r.End));
                continue;
            }

            if (current is { } done)
            {
                yield return done;
            }

            current = r;
        }

        if (current is { } last)
        {
            yield return last;
        }
    }

    // Attribute message v3 at `at` − 9: version, flags, name size, datatype size, dataspace size, encoding, name.
    private static bool PatchAt(byte[] file, int at, int nameLength)
    {
        var header = at - 9;
        if (header < 0 || file[header] != 3 || BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(header + 2)) != nameLength)
        {
            return false;
        }

        var type = at + nameLength;
        if ((file[type] & 0x0F) != 5)
        {
            throw new InvalidOperationException($"attribute at {at} is not opaque");
        }

        // Opaque (class 5) → string (class 3, version 1): null-padded ASCII of the same element size.
        // The opaque tag bytes that follow stay inside the declared datatype size and are not read.
        file[type] = 0x13;
        file[type + 1] = 0x01;
        file[type + 2] = 0;
        file[type + 3] = 0;
        RefreshChecksum(file, at);
        return true;
    }

    // The object header (v2) chunk holding `offset`: "OHDR" version 2 flags [times] [phase change] size, messages, checksum.
    private static void RefreshChecksum(byte[] file, int offset)
    {
        var start = file.AsSpan(0, offset).LastIndexOf("OHDR"u8);
        if (start < 0 || file[start + 4] != 2)
        {
            throw new InvalidOperationException("unexpected HDF5 object header layout");
        }

        var flags = file[start + 5];
        var p = start + 6 + ((flags & 0x20) != 0 ? 16 : 0) + ((flags & 0x10) != 0 ? 4 : 0);
        var width = 1 << (flags & 3);
        long size = width switch
        {
            1 => file[p],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(p)),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(p)),
            _ => (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(p)),
        };
        var end = checked((int)(p + width + size));
        if (offset >= end)
        {
            throw new InvalidOperationException("attribute is outside the first object header chunk");
        }

        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(end), Lookup3(file.AsSpan(start, end - start)));
    }

    /// <summary>The lookup3 hash (hashlittle, initval 0): HDF5's metadata checksum.</summary>
    internal static uint Lookup3(ReadOnlySpan<byte> key)
    {
        uint a, b, c;
        a = b = c = 0xdeadbeef + (uint)key.Length;
        while (key.Length > 12)
        {
            a += BinaryPrimitives.ReadUInt32LittleEndian(key);
            b += BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
            a -= c; a ^= uint.RotateLeft(c, 4); c += b;
            b -= a; b ^= uint.RotateLeft(a, 6); a += c;
            c -= b; c ^= uint.RotateLeft(b, 8); b += a;
            a -= c; a ^= uint.RotateLeft(c, 16); c += b;
            b -= a; b ^= uint.RotateLeft(a, 19); a += c;
            c -= b; c ^= uint.RotateLeft(b, 4); b += a;
            key = key[12..];
        }

        if (key.Length == 0)
        {
            return c;
        }

        Span<byte> tail = stackalloc byte[12];
        tail.Clear();
        key.CopyTo(tail);
        a += BinaryPrimitives.ReadUInt32LittleEndian(tail);
        b += BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]);
        c += BinaryPrimitives.ReadUInt32LittleEndian(tail[8..]);
        c ^= b; c -= uint.RotateLeft(b, 14);
        a ^= c; a -= uint.RotateLeft(c, 11);
        b ^= a; b -= uint.RotateLeft(a, 25);
        c ^= b; c -= uint.RotateLeft(b, 16);
        a ^= c; a -= uint.RotateLeft(c, 4);
        b ^= a; b -= uint.RotateLeft(a, 14);
        c ^= b; c -= uint.RotateLeft(b, 24);
        return c;
    }
}
