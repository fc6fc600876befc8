namespace Yolo4Convert.CoreML.Precision;

/// <summary>
/// The layout of WeightParams.rawValue: n-bit unsigned indices concatenated into one bit stream, each index most
/// significant bit first, the first index in the high bits of byte 0, the stream zero-padded to whole bytes.
/// This is how coremltools writes it (quantization_utils._convert_array_to_nbit_quantized_bytes emits the bits of
/// each value from bit n−1 down to bit 0 and packs every 8 into a byte with the first bit at 1 &lt;&lt; 7), and how the
/// validator sizes it (ceil(n·bits / 8) bytes, QuantizationValidationUtils.cpp).
/// </summary>
internal static class BitPacking
{
    /// <summary>Bytes needed for <paramref name="count"/> indices of <paramref name="bits"/> bits.</summary>
    public static long ByteCount(long count, int bits) => ((count * bits) + 7) / 8;

    /// <summary>Packs indices (each below 2^bits) MSB-first.</summary>
    public static byte[] Pack(ReadOnlySpan<byte> indices, int bits)
    {
        if (bits == 8)
        {
            return indices.ToArray();
        }

        var bytes = new byte[ByteCount(indices.Length, bits)];
        long bit = 0;
        foreach (var q in indices)
        {
            for (var b = bits - 1; b >= 0; b--, bit++)
            {
                if (((q >> b) & 1) != 0)
                {
                    bytes[bit >> 3] |= (byte)(0x80 >> (int)(bit & 7));
                }
            }
        }

        return bytes;
    }

    /// <summary>
    /// Packs indices (each below 2^bits) least significant bit first, as MIL blobs and constexpr_lut_to_dense store
    /// sub-byte values: index i takes bits [i·bits, i·bits + bits) of the stream, bit 0 of byte 0 first.
    /// </summary>
    public static byte[] PackLsbFirst(ReadOnlySpan<byte> indices, int bits)
    {
        if (bits == 8)
        {
            return indices.ToArray();
        }

        var bytes = new byte[ByteCount(indices.Length, bits)];
        long bit = 0;
        foreach (var q in indices)
        {
            for (var b = 0; b < bits; b++, bit++)
            {
                if (((q >> b) & 1) != 0)
                {
                    bytes[bit >> 3] |= (byte)(1 << (int)(bit & 7));
                }
            }
        }

        return bytes;
    }

    /// <summary>Unpacks <paramref name="count"/> indices of <paramref name="bits"/> bits.</summary>
    public static int[] Unpack(ReadOnlySpan<byte> bytes, int bits, int count)
    {
        var result = new int[count];
        if (bits == 8)
        {
            for (var i = 0; i < count; i++)
            {
                result[i] = bytes[i];
            }

            return result;
        }

        long bit = 0;
        for (var i = 0; i < count; i++)
        {
            var q = 0;
            for (var b = 0; b < bits; b++, bit++)
            {
                q = (q << 1) | ((bytes[(int)(bit >> 3)] >> (7 - (int)(bit & 7))) & 1);
            }

            result[i] = q;
        }

        return result;
    }
}
