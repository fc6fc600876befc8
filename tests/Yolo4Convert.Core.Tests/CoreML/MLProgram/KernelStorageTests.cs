using System.Buffers.Binary;
using CoreML.Specification.MILSpec;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.MLProgram;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Weights;
using NeuralNetworkModel = CoreML.Specification.Model;

namespace Yolo4Convert.Tests.CoreML.MLProgram;

/// <summary>
/// Compressed kernels in packages: constexpr ops that hold the .mlmodel's own codes and tables, read back without
/// the writer, and targets that can or cannot express them.
/// </summary>
[Trait("Format", "CoreML")]
public sealed class KernelStorageTests
{
    public static TheoryData<string, string> ZooAndQuantization()
    {
        var data = new TheoryData<string, string>();
        foreach (var cfg in Fixtures.KnownWeightSizes.Keys.Where(k => k.StartsWith("cfg/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            data.Add(cfg, "linear8");

            // k-means fits a table per layer (a sort of its weights): the small cfgs cover the op, the real model the codes.
            if (Fixtures.KnownWeightSizes[cfg] < 40_000_000)
            {
                data.Add(cfg, "kmeans4");
            }
        }

        return data;
    }

    private static CoreMLWriterOptions Options(string quantize, string precision = "fp16") => new()
    {
        Precision = WeightFormat.Parse(precision), Quantization = WeightFormat.Parse(quantize), Mish = MishLowering.Stable,
    };

    [Theory]
    [MemberData(nameof(ZooAndQuantization))]
    public void Write_ZooAt160Quantized_IsAConsistentIOS16PackageAndDeterministic(string cfg, string quantize)
    {
        var shaped = Fixtures.Cfg(cfg, 160);
        var weights = Fixtures.SeededWeightsFile(cfg);
        var (files, result) = MLProgramWriterTests.Write(shaped, weights, Options(quantize));
        var (again, _) = MLProgramWriterTests.Write(shaped, weights, Options(quantize));

        var package = new PackageReader(files);
        package.Check(DataType.Float16, spec: 7);
        Assert.All(files, f => Assert.True(f.Value.AsSpan().SequenceEqual(again[f.Key]), $"{f.Key} differs between two writes"));
        Assert.Equal(MLProgramTarget.IOS16, result.Target);
        var big = result.Weights.Layers.Count(l => l.Weights >= new CoreMLWriterOptions().MinimumQuantizedWeights);
        var op = quantize == "linear8" ? "constexpr_affine_dequantize" : "constexpr_lut_to_dense";
        Assert.Equal(big, package.Ops(op).Count());
        Assert.Equal(result.Weights.Layers.Count - big, result.Weights.KeptInFloat(WeightFormat.Parse(quantize)).Count());
    }

    [Theory]
    [InlineData("linear8")]
    [InlineData("kmeans8")]
    [InlineData("kmeans6")]
    [InlineData("kmeans4")]
    public void Write_RealModelFp32_HoldsTheMlmodelsCodesAndTables(string quantize)
    {
        var shaped = Fixtures.Cfg(Fixtures.RealModelCfg);
        var weightsPath = Fixtures.Shared(Fixtures.RealModelWeights);
        var (files, _) = MLProgramWriterTests.Write(shaped, weightsPath, Options(quantize, "fp32"));
        var package = new PackageReader(files);
        package.Check(DataType.Float32, spec: 7);
        var nn = MlmodelConvolutions(shaped, weightsPath, Options(quantize, "fp32"));

        var convs = package.Ops("conv").ToList();
        Assert.Equal(nn.Count, convs.Count);
        var compressed = 0;
        foreach (var (conv, reference) in convs.Zip(nn))
        {
            var weight = package.Producer(conv.Inputs["weight"].Arguments[0].Name);
            var q = reference.Weights.Quantization;
            if (weight.Type == "const")
            {
                Assert.Null(q);
                Assert.Equal(reference.Weights.FloatValue, package.BlobFloats(weight.Attributes["val"]));
                continue;
            }

            compressed++;
            if (quantize == "linear8")
            {
                // Same codes; scale·(q − zero point) is the .mlmodel's q·scale + bias.
                var codes = package.BlobBytes(weight.Attributes["quantized_data"]);
                Assert.Equal(reference.Weights.RawValue.ToByteArray(), codes);
                var scale = package.BlobFloats(weight.Attributes["scale"]);
                var zero = package.BlobFloats(weight.Attributes["zero_point"]);
                Assert.Equal(q.LinearQuantization.Scale, scale);
                var per = codes.Length / scale.Length;
                for (var i = 0; i < codes.Length; i += 7)
                {
                    var o = i / per;
                    var expected = (codes[i] * q.LinearQuantization.Scale[o]) + q.LinearQuantization.Bias[o];
                    Assert.Equal(expected, scale[o] * (codes[i] - zero[o]), Math.Max(1e-6f, Math.Abs(expected) * 1e-5f));
                }
            }
            else
            {
                // Same table; the indices are the .mlmodel's (MSB-first) repacked least significant bit first.
                Assert.Equal(q.LookupTableQuantization.FloatValue, package.BlobFloats(weight.Attributes["lut"]));
                var bits = (int)q.NumberOfBits;
                var count = reference.Weights.RawValue.Length * 8 / bits;
                Assert.Equal(
                    UnpackMsbFirst(reference.Weights.RawValue.Span, bits, count),
                    UnpackLsbFirst(package.BlobBytes(weight.Attributes["indices"]), bits, count));
            }
        }

        Assert.True(compressed > 0);
    }

    [Fact]
    public void PackLsbFirst_FollowsTheFormatDocsExample()
    {
        // nbits 2, five values: byte 0 holds i3 i2 i1 i0 from its most to its least significant bits, byte 1 holds i4.
        var packed = BitPacking.PackLsbFirst([1, 2, 3, 0, 2], 2);

        Assert.Equal(new byte[] { 0b00_11_10_01, 0b10 }, packed);
        Assert.Equal(new byte[] { 0x21, 0x43 }, BitPacking.PackLsbFirst([1, 2, 3, 4], 4));
        Assert.Equal([5, 63, 0, 42], UnpackLsbFirst(BitPacking.PackLsbFirst([5, 63, 0, 42], 6), 6, 4));
    }

    [Fact]
    public void Linear8_ConstantChannel_KeepsItsValue()
    {
        // One channel of 4096 equal weights (scale 0 in the .mlmodel), one varying.
        var kernel = new float[8192];
        Array.Fill(kernel, 0.25f, 0, 4096);
        for (var i = 4096; i < kernel.Length; i++)
        {
            kernel[i] = (i % 97) / 97f;
        }

        var b = new MilBlockBuilder(DataType.Float16);
        var (_, blobs) = KernelStorage.Emit(b, new BlobLayout(), "w", WeightFormat.Linear8, [2, 4096, 1, 1]);
        var encoded = KernelStorage.Encode(blobs, kernel, 2, "w", new KMeansQuantizer()).ToList();

        var scale = Halves(encoded[1]);
        var zero = Floats(encoded[2]);
        Assert.All(encoded[0].AsSpan(0, 4096).ToArray(), c => Assert.Equal(0, c));
        Assert.Equal(0.25f, scale[0] * (0 - zero[0]), 1e-6f);
        Assert.All(Enumerable.Range(4096, 4096), i => Assert.Equal(kernel[i], scale[1] * (encoded[0][i] - zero[1]), 96f / 97f / 255f * 0.65f)); // half a step, and the scale rounded to fp16
    }

    [Fact]
    public void Writer_QuantizeAboveWhatThePinnedTargetCanExpress_IsRefused_AndTheLowestTargetIsChosenOtherwise()
    {
        var low = Assert.Throws<UnsupportedFeatureException>(() => new MLProgramWriter(Options("linear8"), MLProgramTarget.IOS15));
        var lut18 = Assert.Throws<UnsupportedFeatureException>(() => new MLProgramWriter(Options("kmeans4"), MLProgramTarget.IOS18));

        Assert.Contains("needs iOS16", low.Message, StringComparison.Ordinal);
        Assert.Contains("constexpr_lut_to_dense", lut18.Message, StringComparison.Ordinal);
        Assert.Equal(MLProgramTarget.IOS16, new MLProgramWriter(Options("kmeans4")).Target);
        Assert.Equal(MLProgramTarget.IOS17, new MLProgramWriter(Options("kmeans4"), MLProgramTarget.IOS17).Target);
        Assert.Equal(MLProgramTarget.IOS15, new MLProgramWriter(new CoreMLWriterOptions { Precision = WeightFormat.Fp16 }).Target);
    }

    // The .mlmodel of the same options: each convolution's weights, in layer order.
    private static List<global::CoreML.Specification.ConvolutionLayerParams> MlmodelConvolutions(ShapedNetwork shaped, string weightsPath, CoreMLWriterOptions options)
    {
        using var weights = DarknetWeightsFile.Open(shaped, TestFiles.Open(weightsPath));
        using var stream = new MemoryStream();
        new CoreMLWriter(options with { Mish = MishLowering.Stable }).Write(shaped, weights, stream);
        var model = NeuralNetworkModel.Parser.ParseFrom(stream.ToArray());
        return [.. model.NeuralNetwork.Layers.Where(l => l.Convolution is not null).Select(l => l.Convolution)];
    }

    private static int[] UnpackMsbFirst(ReadOnlySpan<byte> bytes, int bits, int count)
    {
        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            for (var b = 0; b < bits; b++)
            {
                var bit = (i * bits) + b;
                result[i] = (result[i] << 1) | ((bytes[bit / 8] >> (7 - (bit % 8))) & 1);
            }
        }

        return result;
    }

    private static int[] UnpackLsbFirst(ReadOnlySpan<byte> bytes, int bits, int count)
    {
        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            for (var b = 0; b < bits; b++)
            {
                var bit = (i * bits) + b;
                result[i] |= ((bytes[bit / 8] >> (bit % 8)) & 1) << b;
            }
        }

        return result;
    }

    private static float[] Halves(byte[] bytes) => [.. Enumerable.Range(0, bytes.Length / 2).Select(i => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(2 * i)))];

    private static float[] Floats(byte[] bytes) => [.. Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i)))];
}
