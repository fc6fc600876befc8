using System.Buffers.Binary;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.CoreML.Precision;

/// <summary>The float → half encoding every fp16 model stores: the nearest half, ties to even, as System.Half's cast.</summary>
public sealed class HalfPrecisionTests
{
    [Fact]
    public void Encode_EqualsTheHalfCast_OnTiesSubnormalsAndTheEdgeOfTheRange()
    {
        var random = new Random(7);
        var values = new List<float>();
        for (var i = 0; i < 50_000; i++)
        {
            // Every exponent from half's subnormals to its largest finite values, both signs.
            values.Add((float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-26, 16))));
        }

        // Exact ties between two halves (11 significant bits and a half), zeros, and values just below the overflow edge.
        for (var m = 1024; m < 2048; m += 37)
        {
            values.Add((m + 0.5f) / 1024f);
            values.Add(-(m + 0.5f) * 8f);
        }

        values.AddRange([0f, -0f, 65504f, -65504f, 65519.99f, -65519.99f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, float.Epsilon]);
        var input = values.ToArray();

        var encoded = new byte[2 * input.Length];
        HalfPrecision.Encode(input, encoded, "layer", 0);

        var expected = new byte[2 * input.Length];
        for (var i = 0; i < input.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(expected.AsSpan(2 * i), (Half)input[i]);
        }

        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void Encode_AValueThatRoundsToInfinity_IsAnErrorNamingTheLayerAndIndex()
    {
        var values = new float[1000];
        values[321] = 65520f;

        var ex = Assert.Throws<UnsupportedFeatureException>(() => HalfPrecision.Encode(values, new byte[2000], "105_conv", 4000));

        Assert.Contains("'105_conv'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("index 4321", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_InfinitiesAndNaN_KeepTheCastsBits()
    {
        float[] values = [1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -2f];
        var encoded = new byte[10];

        HalfPrecision.Encode(values, encoded, "layer", 0);

        Assert.Equal(values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)), Enumerable.Range(0, 5).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(encoded.AsSpan(2 * i))));
    }
}
