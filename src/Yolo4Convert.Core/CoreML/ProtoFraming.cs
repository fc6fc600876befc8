namespace Yolo4Convert.CoreML;

/// <summary>
/// The few protobuf wire-format pieces a streaming writer emits by hand: the tag and length that open a
/// length-delimited field (wire type 2), and their sizes.
/// </summary>
internal static class ProtoFraming
{
    private const int LengthDelimited = 2;

    /// <summary>The size of a length-delimited field holding <paramref name="length"/> bytes, framing included.</summary>
    public static long FieldSize(int field, long length) =>
        VarintSize((ulong)(((long)field << 3) | LengthDelimited)) + VarintSize((ulong)length) + length;

    /// <summary>Writes the tag and length of a length-delimited field; its <paramref name="length"/> bytes follow.</summary>
    public static void WriteField(Stream output, int field, long length)
    {
        Span<byte> buffer = stackalloc byte[20];
        var n = Varint(buffer, (ulong)(((long)field << 3) | LengthDelimited));
        n += Varint(buffer[n..], (ulong)length);
        output.Write(buffer[..n]);
    }

    private static int VarintSize(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    private static int Varint(Span<byte> buffer, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            buffer[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[n++] = (byte)value;
        return n;
    }
}
