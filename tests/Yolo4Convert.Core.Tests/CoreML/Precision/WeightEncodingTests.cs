using System.Globalization;
using CoreML.Specification;
using Google.Protobuf;
using Xunit.Abstractions;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Tests.CoreML.Precision;

/// <summary>
/// The stored weights of every mode, decoded back by this test's own reading of the format (bit stream read MSB-first
/// bit by bit, half bits checked by numpy), against the folded float32 weights of the default model.
/// </summary>
[Trait("Format", "CoreML")]
public sealed class WeightEncodingTests(ITestOutputHelper log)
{
    private const string Cfg = "cfg/yolov4-tiny.cfg";

    private static CoreMLWriterOptions Options(string mode) => mode switch
    {
        "fp32" => new CoreMLWriterOptions(),
        "fp16" => new CoreMLWriterOptions { Precision = WeightFormat.Fp16 },
        _ => new CoreMLWriterOptions { Quantization = WeightFormat.Parse(mode) },
    };

    private static List<ConvolutionLayerParams> Convs(byte[] model) =>
        [.. Model.Parser.ParseFrom(model).NeuralNetwork.Layers.Where(l => l.LayerCase == NeuralNetworkLayer.LayerOneofCase.Convolution).Select(l => l.Convolution)];

    // Written from the format's description, not from the writer: value i occupies bits [i·b, (i+1)·b) of the
    // stream, bit k of the stream is bit 7 − k%8 of byte k/8.
    private static int[] ReadIndices(ByteString raw, int bits, int count)
    {
        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            for (var k = 0; k < bits; k++)
            {
                var bit = ((long)i * bits) + k;
                result[i] = (result[i] * 2) + ((raw[(int)(bit / 8)] >> (7 - (int)(bit % 8))) & 1);
            }
        }

        return result;
    }

    [Theory]
    [InlineData("linear8")]
    [InlineData("kmeans8")]
    [InlineData("kmeans6")]
    [InlineData("kmeans4")]
    public void Quantize_EveryLayer_DecodesToTheFoldedWeightsWithinTheQuantisationStep(string mode)
    {
        var folder = Fixtures.TempFolder();
        var reference = Convs(TestModel.Create(Cfg, 128, folder).ModelBytes);
        var options = Options(mode);
        var model = TestModel.Create(Cfg, 128, folder, options);
        var convs = Convs(model.ModelBytes);

        Assert.Equal(3, Model.Parser.ParseFrom(model.ModelBytes).SpecificationVersion);
        var bits = mode == "linear8" ? 8 : int.Parse(mode[^1..], CultureInfo.InvariantCulture);
        var quantized = 0;
        for (var l = 0; l < convs.Count; l++)
        {
            var folded = reference[l].Weights.FloatValue;
            var stored = convs[l].Weights;
            Assert.Equal(reference[l].Bias.FloatValue, convs[l].Bias.FloatValue); // biases stay float32
            if (folded.Count < options.MinimumQuantizedWeights)
            {
                Assert.Equal(folded, stored.FloatValue);
                continue;
            }

            quantized++;
            Assert.Equal((ulong)bits, stored.Quantization.NumberOfBits);
            Assert.Equal(((folded.Count * bits) + 7) / 8, stored.RawValue.Length);
            var q = ReadIndices(stored.RawValue, bits, folded.Count);
            var channels = (int)convs[l].OutputChannels;
            var per = folded.Count / channels;
            double worst = 0, allowed = 0, sse = 0, uniformSse = 0;
            if (mode == "linear8")
            {
                var lin = stored.Quantization.LinearQuantization;
                Assert.Equal(channels, lin.Scale.Count);
                for (var o = 0; o < channels; o++)
                {
                    var w = folded.Skip(o * per).Take(per).ToList();
                    double step = (w.Max() - (double)w.Min()) / 255;
                    Assert.True(Math.Abs(lin.Scale[o] - step) <= 1e-6 * step + 1e-30, $"layer {l} channel {o}: scale {lin.Scale[o]} for a range step of {step}");
                    for (var i = 0; i < per; i++)
                    {
                        var error = Math.Abs(((double)q[(o * per) + i] * lin.Scale[o]) + lin.Bias[o] - w[i]);
                        worst = Math.Max(worst, error / step);
                        Assert.True(error <= (step / 2 * (1 + 1e-5)) + 1e-12, $"layer {l} channel {o} weight {i}: error {error} above half a step {step / 2}");
                    }
                }

                allowed = 0.5;
            }
            else
            {
                var table = stored.Quantization.LookupTableQuantization.FloatValue.Select(v => (double)v).ToArray();
                Assert.Equal(1 << bits, table.Length);
                double min = folded.Min(), max = folded.Max();
                Assert.All(table, t => Assert.InRange(t, min, max));

                // The step of a table: the widest gap a weight can fall into, halved, including the two ends.
                var edges = table.Order().Prepend(min).Append(max).ToArray();
                var gaps = edges.Zip(edges.Skip(1), (a, b) => b - a).ToArray();
                var step = Math.Max(Math.Max(gaps[0], gaps[^1]), gaps[1..^1].Max() / 2);
                var uniform = (max - min) / ((1 << bits) - 1);
                for (var i = 0; i < folded.Count; i++)
                {
                    var error = Math.Abs(table[q[i]] - folded[i]);
                    var nearest = table.Min(t => Math.Abs(t - folded[i]));
                    Assert.True(error <= nearest + 1e-7, $"layer {l} weight {i}: index {q[i]} is not the nearest table entry");
                    Assert.True(error <= step + 1e-7, $"layer {l} weight {i}: error {error} above the table's step {step}");
                    worst = Math.Max(worst, error / step);
                    sse += error * error;
                    var u = Math.Round((folded[i] - min) / uniform) * uniform + min - folded[i];
                    uniformSse += u * u;
                }

                // A fitted table does at least as well as evenly spaced levels over the same range.
                Assert.True(sse <= uniformSse * (1 + 1e-6), $"layer {l}: k-means squared error {sse:G3} is above the uniform grid's {uniformSse:G3}");
                allowed = 1;
            }

            log.WriteLine($"{mode} layer {l} ({folded.Count} weights): worst error {worst:F3} of the step (allowed {allowed}){(mode == "linear8" ? string.Empty : $", squared error {sse / uniformSse:P1} of the uniform grid's")}");
        }

        Assert.True(quantized >= 15, $"only {quantized} layers were quantized");
    }

    [Fact]
    public void Fp16_EveryWeightAndBias_IsNumpysRoundToNearestEvenOfTheFoldedFloat()
    {
        var folder = Fixtures.TempFolder();
        var reference = Convs(TestModel.Create(Cfg, 128, folder).ModelBytes);
        var model = TestModel.Create(Cfg, 128, folder, Options("fp16"));
        var convs = Convs(model.ModelBytes);

        Assert.Equal(1, Model.Parser.ParseFrom(TestModel.Create(Cfg, 128, folder, new CoreMLWriterOptions { Mish = MishLowering.Native }).ModelBytes).SpecificationVersion);
        Assert.Equal(2, Model.Parser.ParseFrom(model.ModelBytes).SpecificationVersion);
        var f32 = Path.Combine(folder, "f32.bin");
        var f16 = Path.Combine(folder, "f16.bin");
        using (var a = File.Create(f32))
        using (var b = File.Create(f16))
        {
            for (var l = 0; l < convs.Count; l++)
            {
                Assert.Empty(convs[l].Weights.FloatValue);
                foreach (var (from, to) in new[] { (reference[l].Weights, convs[l].Weights), (reference[l].Bias, convs[l].Bias) })
                {
                    foreach (var v in from.FloatValue)
                    {
                        a.Write(BitConverter.GetBytes(v));
                    }

                    to.Float16Value.WriteTo(b);
                }
            }
        }

        var result = Fixtures.Python(Fixtures.Repo("tests/python/fp16_check.py"), f32, f16).Split(' ');
        log.WriteLine($"count mismatches maxError beyondHalfStep: {string.Join(' ', result)}");
        Assert.True(long.Parse(result[0], CultureInfo.InvariantCulture) > 6_000_000, "too few weights compared");
        Assert.Equal("0", result[1]);
        Assert.Equal("0", result[3].Trim());
    }

    [Theory]
    [InlineData("fp16")]
    [InlineData("linear8")]
    [InlineData("kmeans6")]
    public void Write_SameInputs_GiveTheSameBytes(string mode)
    {
        var folder = Fixtures.TempFolder();

        var first = TestModel.Create(Cfg, 128, folder, Options(mode)).ModelBytes;
        var second = TestModel.Create(Cfg, 128, folder, Options(mode)).ModelBytes;

        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(first)), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(second)));
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("fp16")]
    [InlineData("linear8")]
    [InlineData("kmeans8")]
    [InlineData("kmeans6")]
    [InlineData("kmeans4")]
    public void SerializedSize_DependsOnlyOnTheCountsAndIsExact(string mode)
    {
        var options = Options(mode);
        var random = new Random(5);
        foreach (var (channels, per) in new[] { (64, 27), (255, 1024), (3, 1), (1000, 100) })
        {
            var sizes = new HashSet<int>();
            foreach (var kind in new[] { "random", "zeros", "constant per channel", "huge range" })
            {
                var kernel = new float[channels * per];
                for (var i = 0; i < kernel.Length; i++)
                {
                    kernel[i] = kind switch
                    {
                        "random" => (random.NextSingle() - 0.5f) * 0.2f,
                        "zeros" => 0f,
                        "constant per channel" => i / per * 0.01f,
                        _ => (random.NextSingle() - 0.5f) * 60000f,
                    };
                }

                var encoding = new WeightEncoding(options.Precision, options.Quantization, options.MinimumQuantizedWeights);
                var bias = kernel.Take(channels).ToArray();
                var format = encoding.FormatFor(kernel.Length);
                var (weights, encodedBias) = encoding.Encode("000_conv", format, kernel, bias);
                Assert.Equal(weights.CalculateSize(), format.SerializedSize(kernel.Length, channels));
                Assert.Equal(encodedBias.CalculateSize(), encoding.SerializedBiasSize(channels));
                sizes.Add(weights.CalculateSize());
            }

            Assert.Single(sizes);
        }
    }

    [Fact]
    public void Quantize_AllLayersBelowTheThreshold_StaysInFloatAndSpec1()
    {
        var options = new CoreMLWriterOptions { Quantization = WeightFormat.KMeans4, Mish = MishLowering.Native, MinimumQuantizedWeights = int.MaxValue };

        var model = TestModel.Create("cfg/yolov4-tiny.cfg", 128, Fixtures.TempFolder(), options);

        Assert.Equal(1, model.Result.SpecificationVersion);
        Assert.All(model.Result.Weights!.Layers, l => Assert.Equal("fp32", l.Format));
        Assert.Equal(model.Result.Weights.Layers.Count, model.Result.Weights.KeptInFloat(options.Quantization).Count());
    }

    [Fact]
    public void Fp16_WeightBeyondHalfRange_IsAnErrorNamingTheLayer()
    {
        var encoding = new WeightEncoding(WeightFormat.Fp16, null, 4096);

        var ex = Assert.Throws<Yolo4Convert.Diagnostics.UnsupportedFeatureException>(() => encoding.Encode("042_conv", WeightFormat.Fp16, [1f, 70000f], [0f]));

        Assert.Contains("'042_conv'", ex.Message);
        Assert.Contains("70000", ex.Message);
    }

    [Theory]
    [InlineData("fp16", 0.51)]
    [InlineData("linear8", 0.26)]
    [InlineData("kmeans8", 0.26)]
    [InlineData("kmeans4", 0.14)]
    public void Write_Yolov4Tiny_FileIsTheExpectedFractionOfFloat32(string mode, double limit)
    {
        // The acceptance ratios of yolov4 (measured in the README's table) checked on a smaller model of the zoo.
        var folder = Fixtures.TempFolder();
        var fp32 = TestModel.Create(Cfg, 128, folder).ModelBytes.Length;

        var size = TestModel.Create(Cfg, 128, folder, Options(mode)).ModelBytes.Length;

        log.WriteLine($"{mode}: {size} of {fp32} bytes = {(double)size / fp32:P2}");
        Assert.True((double)size / fp32 <= limit, $"{mode}: {(double)size / fp32:P2} of the float32 file");
    }
}
