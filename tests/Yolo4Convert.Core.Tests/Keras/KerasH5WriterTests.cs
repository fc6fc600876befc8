using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using Yolo4Convert.Graph;
using Yolo4Convert.Keras;
using Yolo4Convert.Tests.Runtime;

namespace Yolo4Convert.Tests.Keras;

/// <summary>The .h5 files are read back by Debian's h5py and evaluated by numpy: nothing here trusts our own reader.</summary>
[Trait("Format", "Keras")]
public sealed class KerasH5WriterTests(ITestOutputHelper log)
{
    public static TheoryData<string> AllModels() => [.. Fixtures.KnownWeightSizes.Keys];

    private static string Export(TestModel model, string folder)
    {
        var path = Path.Combine(folder, "model.h5");
        using (var stream = File.Create(path))
        {
            new KerasH5Writer().Write(model.Weighted, model.Shaped, stream);
        }

        return path;
    }

    private static TestModel Model(string cfg, string folder) => cfg == Fixtures.RealModelCfg
        ? TestModel.Create(cfg, null, folder, weights: Fixtures.Shared(Fixtures.RealModelWeights))
        : TestModel.Create(cfg, null, folder);

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Write_EveryModel_PassesTheKerasLayoutCheckAndKernelsEqualDarknetTransposed(string cfg)
    {
        var folder = Fixtures.TempFolder();
        try
        {
            var model = Model(cfg, folder);
            var h5 = Export(model, folder);

            // Layout and conventions: unique names, resolvable inbound nodes, consistent shapes, S-typed name arrays.
            var summary = JsonNode.Parse(Fixtures.Python(Fixtures.Repo("tests/python/keras_h5.py"), "check", h5))!;
            var heads = model.Shaped.Network.Heads.Select(h => model.Shaped.InputShape(h)).Select(s => $"[{s.H},{s.W},{s.C}]");
            Assert.Equal(string.Join(",", heads), string.Join(",", summary["outputs"]!.AsArray().Select(o => o!.ToJsonString())));

            // Every weight, as h5py reads it, against the Darknet weights in Keras' layout.
            var dump = Path.Combine(folder, "weights.bin");
            Fixtures.Python(Fixtures.Repo("tests/python/keras_h5.py"), "dump", h5, dump);
            var datasets = ReadDump(dump);
            var checkedKernels = 0;
            foreach (var conv in model.Shaped.Network.Layers.OfType<ConvolutionalLayer>())
            {
                var w = model.Weighted.Weights[conv.Index]!;
                var name = $"conv_{conv.Index:D3}";
                var (shape, kernel) = datasets.TryGetValue($"{name}/kernel:0", out var k) ? k : datasets[$"{name}/depthwise_kernel:0"];
                var cin = shape[2];
                for (var o = 0; o < conv.Filters; o++)
                {
                    for (var i = 0; i < w.Kernel.Length / conv.Filters / (conv.Size * conv.Size); i++)
                    {
                        for (var ky = 0; ky < conv.Size; ky++)
                        {
                            for (var kx = 0; kx < conv.Size; kx++)
                            {
                                var darknet = w.Kernel[((((o * (w.Kernel.Length / conv.Filters / (conv.Size * conv.Size))) + i) * conv.Size) + ky) * conv.Size + kx];
                                var keras = shape[3] == 1 && cin == conv.Filters && conv.Groups > 1
                                    ? kernel[(((ky * conv.Size) + kx) * cin) + o]
                                    : kernel[((((ky * conv.Size) + kx) * cin) + i) * conv.Filters + o];
                                Assert.Equal(darknet, keras);
                            }
                        }
                    }
                }

                if (w.BatchNorm is { } bn)
                {
                    Assert.Equal(bn.Scales, datasets[$"bn_{conv.Index:D3}/gamma:0"].Data);
                    Assert.Equal(w.Biases, datasets[$"bn_{conv.Index:D3}/beta:0"].Data);
                    Assert.Equal(bn.Mean, datasets[$"bn_{conv.Index:D3}/moving_mean:0"].Data);
                    Assert.Equal(bn.Variance, datasets[$"bn_{conv.Index:D3}/moving_variance:0"].Data);
                }
                else
                {
                    Assert.Equal(w.Biases, datasets[$"{name}/bias:0"].Data);
                }

                checkedKernels++;
            }

            log.WriteLine($"{cfg}: {summary["layers"]} Keras layers, {checkedKernels} kernels equal");
            Assert.Equal(model.Shaped.Network.Layers.OfType<ConvolutionalLayer>().Count(), checkedKernels);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Write_RealYoloFastest_NumpyEvaluationOfTheFileMatchesOpenCv()
    {
        var folder = Fixtures.TempFolder();
        var model = Model(Fixtures.RealModelCfg, folder);
        var pixels = OpenCvParityTests.RealImage(Fixtures.DogImage, folder);

        var keras = RunInNumpy(Export(model, folder), pixels, folder);
        var opencv = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        Assert.Equal(2, keras.Count);
        for (var i = 0; i < keras.Count; i++)
        {
            var error = Fixtures.RelativeError(keras[i], opencv[i]);
            log.WriteLine($"head {i}: relative error {error:E2}");
            Assert.True(error < 1e-3, $"head {i}: relative error {error:E2}");
        }
    }

    [Theory]
    [InlineData("cfg/yolov2.cfg", 128)]
    [InlineData("cfg/enet-coco.cfg", 128)]
    [InlineData("cfg/yolov4-tiny.cfg", 128)]
    public void Write_SeededModel_NumpyEvaluationOfTheFileMatchesOpenCv(string cfg, int size)
    {
        // yolov2's old reorg, enet's depthwise convs, SE blocks and uneven shortcuts, yolov4-tiny's route groups.
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(cfg, size, folder);
        var pixels = Fixtures.SyntheticImage(3, size, size);

        var keras = RunInNumpy(Export(model, folder), pixels, folder);
        var opencv = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        for (var i = 0; i < opencv.Count; i++)
        {
            var error = Fixtures.RelativeError(keras[i], opencv[i]);
            log.WriteLine($"{cfg} head {i}: relative error {error:E2}");
            Assert.True(error < 1e-3, $"{cfg} head {i}: relative error {error:E2}");
        }
    }

    [Theory]
    [InlineData("cfg/yolov4-tiny.cfg")]
    [InlineData(Fixtures.RealModelCfg)]
    public void Write_Streamed_GivesTheBytesOfTheFileBuiltWholeInMemory(string cfg)
    {
        // A seekable stream gets the datasets streamed; a forward-only stream gets the file built the ordinary way.
        var model = Model(cfg, Fixtures.TempFolder());
        using var streamed = new MemoryStream();
        using var ordinary = new MemoryStream();

        new KerasH5Writer().Write(model.Weighted, model.Shaped, streamed);
        new KerasH5Writer().Write(model.Weighted, model.Shaped, new ForwardOnlyStream(ordinary));

        Assert.True(streamed.Length > 100_000);
        Assert.Equal(ordinary.ToArray(), streamed.ToArray());
    }

    [Fact]
    public void Write_ObjectHeaderChecksums_AreValidAfterThePatch()
    {
        var folder = Fixtures.TempFolder();
        var bytes = File.ReadAllBytes(Export(TestModel.Create("cfg/yolov4-tiny.cfg", 128, folder), folder));
        var headers = 0;

        for (var at = bytes.AsSpan().IndexOf("OHDR"u8); at >= 0; at = NextHeader(bytes, at))
        {
            var flags = bytes[at + 5];
            var p = at + 6 + ((flags & 0x20) != 0 ? 16 : 0) + ((flags & 0x10) != 0 ? 4 : 0);
            var width = 1 << (flags & 3);
            var size = width == 8 ? (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(p)) : width == 4 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(p)) : width == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(p)) : bytes[p];
            var end = p + width + size;
            Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(end)), Hdf5FixedStrings.Lookup3(bytes.AsSpan(at, end - at)));
            headers++;
        }

        Assert.True(headers > 40, $"only {headers} object headers found");
    }

    private static int NextHeader(byte[] bytes, int at)
    {
        var next = bytes.AsSpan(at + 4).IndexOf("OHDR"u8);
        return next < 0 ? -1 : at + 4 + next;
    }

    [Fact]
    public void Lookup3_KnownVectors()
    {
        // Published test values of the lookup3 hashlittle function (initval 0).
        Assert.Equal(0xdeadbeefu, Hdf5FixedStrings.Lookup3([]));
        Assert.Equal(0x17770551u, Hdf5FixedStrings.Lookup3("Four score and seven years ago"u8));
    }

    // Evaluates the file's model_config and weights with numpy (tests/python/keras_h5.py), independently of our code.
    private static List<Yolo4Convert.Numerics.Tensor> RunInNumpy(string h5, Yolo4Convert.Numerics.Tensor pixels, string folder)
    {
        var input = Path.Combine(folder, "pixels.bin");
        var output = Path.Combine(folder, "keras-heads.bin");
        Fixtures.WriteTensor(pixels, input);
        Fixtures.Python(Fixtures.Repo("tests/python/keras_h5.py"), "run", h5, input, output);
        return Fixtures.ReadTensors(output);
    }

    private static Dictionary<string, (int[] Shape, float[] Data)> ReadDump(string path)
    {
        var result = new Dictionary<string, (int[], float[])>();
        using var r = new BinaryReader(File.OpenRead(path));
        while (r.BaseStream.Position < r.BaseStream.Length)
        {
            var name = System.Text.Encoding.UTF8.GetString(r.ReadBytes(r.ReadInt32()));
            var shape = Enumerable.Range(0, r.ReadInt32()).Select(_ => r.ReadInt32()).ToArray();
            var data = new float[shape.Aggregate(1, (a, b) => a * b)];
            r.ReadBytes(data.Length * 4).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
            result[name] = (shape, data);
        }

        return result;
    }
}
