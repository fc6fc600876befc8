using CoreML.Specification.MILSpec;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.MLProgram;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Passes;

namespace Yolo4Convert.Tests.CoreML.MLProgram;

/// <summary>ML Program packages of the zoo and the real model, read back without the writer and checked against the format's rules.</summary>
[Trait("Format", "CoreML")]
public sealed class MLProgramWriterTests
{
    public static TheoryData<string, string> ZooAndPrecision()
    {
        var data = new TheoryData<string, string>();
        foreach (var cfg in Fixtures.KnownWeightSizes.Keys.Where(k => k.StartsWith("cfg/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            data.Add(cfg, "fp32");
            data.Add(cfg, "fp16");
        }

        return data;
    }

    private static CoreMLWriterOptions Options(string precision, MishLowering mish = MishLowering.Stable) =>
        new() { Precision = Yolo4Convert.Weights.WeightFormat.Parse(precision), Mish = mish };

    /// <summary>Writes a package into memory: path → bytes.</summary>
    internal static (Dictionary<string, byte[]> Files, MLProgramWriteResult Result) Write(
        ShapedNetwork shaped, string weightsPath, CoreMLWriterOptions options, MLProgramTarget? target = null)
    {
        var streams = new Dictionary<string, MemoryStream>();
        using var weights = DarknetWeightsFile.Open(shaped, TestFiles.Open(weightsPath));
        var result = new MLProgramWriter(options, target).Write(shaped, weights, path =>
        {
            var stream = new MemoryStream();
            streams.Add(path, stream);
            return stream;
        });
        return (streams.ToDictionary(s => s.Key, s => s.Value.ToArray()), result);
    }

    /// <summary>Saves a package's files (path → bytes) as <paramref name="folder"/>/<paramref name="name"/>; returns its path.</summary>
    internal static string Save(IReadOnlyDictionary<string, byte[]> files, string folder, string name)
    {
        var package = Path.Combine(folder, name);
        foreach (var (path, bytes) in files)
        {
            var file = Path.Combine(package, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
        }

        return package;
    }

    /// <summary>Writes a raw-head package into <paramref name="folder"/> (as raw.mlpackage); returns its path.</summary>
    internal static string WriteFolder(ShapedNetwork shaped, string weightsPath, CoreMLWriterOptions options, string folder) =>
        Save(Write(shaped, weightsPath, options).Files, folder, "raw.mlpackage");

    [Theory]
    [MemberData(nameof(ZooAndPrecision))]
    public void Write_ZooAt160_IsAConsistentPackageAndDeterministic(string cfg, string precision)
    {
        var shaped = Fixtures.Cfg(cfg, 160);
        var weights = Fixtures.SeededWeightsFile(cfg);
        var (files, result) = Write(shaped, weights, Options(precision));
        var (again, _) = Write(shaped, weights, Options(precision));

        var package = new PackageReader(files);
        package.Check(precision == "fp16" ? DataType.Float16 : DataType.Float32);
        Assert.Equal(files.Keys.Order(), again.Keys.Order());
        Assert.All(files, f => Assert.True(f.Value.AsSpan().SequenceEqual(again[f.Key]), $"{f.Key} differs between two writes"));
        Assert.Equal(shaped.Network.Layers.OfType<Yolo4Convert.Graph.ConvolutionalLayer>().Count(), package.Ops("conv").Count());
        Assert.Equal(6, result.SpecificationVersion);
        Assert.Equal(result.OperationCount, package.Block.Operations.Count(o => o.Type != "const"));
        Assert.Equal(precision == "fp16", package.Ops("cast").Any());
    }

    [Fact]
    public void Write_RealModelFp32_StoresTheFoldedWeightsExactly()
    {
        var shaped = Fixtures.Cfg(Fixtures.RealModelCfg);
        var (files, result) = Write(shaped, Fixtures.Shared(Fixtures.RealModelWeights), Options("fp32"));
        var package = new PackageReader(files);
        package.Check(DataType.Float32);

        using var source = DarknetWeightsFile.Open(shaped, TestFiles.Open(Fixtures.Shared(Fixtures.RealModelWeights)));
        var convs = package.Ops("conv").ToList();
        var layers = shaped.Network.Layers.OfType<Yolo4Convert.Graph.ConvolutionalLayer>().ToList();
        Assert.Equal(layers.Count, convs.Count);
        foreach (var (layer, conv) in layers.Zip(convs))
        {
            var (kernel, bias) = BatchNormFolding.Fold(source.ReadWhole(layer));
            Assert.Equal(kernel, package.BlobFloats(package.Consts[conv.Inputs["weight"].Arguments[0].Name]));
            Assert.Equal(bias, package.BlobFloats(package.Consts[conv.Inputs["bias"].Arguments[0].Name]));
        }

        Assert.Equal(files["Data/com.apple.CoreML/weights/weight.bin"].Length, result.WeightFileBytes);
    }

    [Fact]
    public void Write_RealModelFp16_HalvesTheWeightsAndCastsAtTheBoundaries()
    {
        var shaped = Fixtures.Cfg(Fixtures.RealModelCfg);
        var (fp32, _) = Write(shaped, Fixtures.Shared(Fixtures.RealModelWeights), Options("fp32"));
        var (fp16, _) = Write(shaped, Fixtures.Shared(Fixtures.RealModelWeights), Options("fp16"));
        var package = new PackageReader(fp16);
        package.Check(DataType.Float16);

        var bin = "Data/com.apple.CoreML/weights/weight.bin";
        Assert.InRange(fp16[bin].Length, fp32[bin].Length * 0.45, fp32[bin].Length * 0.55);
        var casts = package.Ops("cast").Select(c => package.Consts[c.Inputs["dtype"].Arguments[0].Name].ImmediateValue.Tensor.Strings.Values.Single()).ToList();
        Assert.Equal(["fp16", .. Enumerable.Repeat("fp32", package.Block.Outputs.Count)], casts);
        Assert.Equal("image__scaled__", package.Ops("cast").First().Inputs["x"].Arguments[0].Name);
        Assert.Equal(package.Block.Outputs, package.Ops("cast").Skip(1).Select(c => c.Outputs[0].Name));
    }

    [Fact]
    public void Write_ImageInput_IsScaledBy1Over255InFp32First()
    {
        var (files, _) = Write(Fixtures.Cfg("cfg/yolov4-tiny.cfg", 160), Fixtures.SeededWeightsFile("cfg/yolov4-tiny.cfg"), Options("fp16"));
        var package = new PackageReader(files);

        var mul = package.Block.Operations.First(o => o.Type != "const");
        Assert.Equal(("mul", "image"), (mul.Type, mul.Inputs["x"].Arguments[0].Name));
        var y = package.Consts[mul.Inputs["y"].Arguments[0].Name];
        Assert.Equal((DataType.Float32, 1f / 255f), (y.Type.TensorType.DataType, y.ImmediateValue.Tensor.Floats.Values.Single()));
    }

    [Theory]
    [InlineData(MishLowering.Stable)]
    [InlineData(MishLowering.Native)]
    public void Write_Mish_IsBuiltInOps_StableFeedsSoftplusOnlyNonPositiveValues(MishLowering mish)
    {
        var cfg = "cfg/yolov4.cfg";
        var (files, _) = Write(Fixtures.Cfg(cfg, 160), Fixtures.SeededWeightsFile(cfg), Options("fp16", mish));
        var package = new PackageReader(files);
        package.Check(DataType.Float16);

        var softplus = package.Ops("softplus").ToList();
        Assert.Equal(72, softplus.Count);
        foreach (var op in softplus)
        {
            var producer = package.Producer(op.Inputs["x"].Arguments[0].Name);
            if (mish == MishLowering.Stable)
            {
                // softplus(−|x|): a mul by −1 of an abs.
                Assert.Equal("mul", producer.Type);
                Assert.Equal("abs", package.Producer(producer.Inputs["x"].Arguments[0].Name).Type);
                Assert.Equal(-1f, (float)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(
                    package.Consts[producer.Inputs["y"].Arguments[0].Name].ImmediateValue.Tensor.Bytes.Values.Span));
            }
            else
            {
                Assert.Equal("conv", producer.Type);
            }
        }
    }

    [Fact]
    public void Write_MishAsCustomLayer_IsRefusedWithAHint()
    {
        var cfg = "cfg/yolov4-csp.cfg";
        var ex = Assert.Throws<UnsupportedFeatureException>(() => Write(Fixtures.Cfg(cfg, 160), Fixtures.SeededWeightsFile(cfg), Options("fp16", MishLowering.CustomLayer)));

        Assert.Contains("no custom layers", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--mish native", ex.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MLProgramTarget.IOS16, 7, "CoreML6")]
    [InlineData(MLProgramTarget.IOS18, 9, "CoreML8")]
    public void Write_PinnedTarget_SetsTheMatchingSpecAndOpset(MLProgramTarget target, int spec, string opset)
    {
        var (files, result) = Write(Fixtures.Cfg("cfg/yolov3-tiny.cfg", 160), Fixtures.SeededWeightsFile("cfg/yolov3-tiny.cfg"), Options("fp32"), target);
        var package = new PackageReader(files);

        package.Check(DataType.Float32, spec);
        Assert.Equal((spec, opset), (result.SpecificationVersion, result.Opset));
    }

    [Fact]
    public void Write_KeepsTheMlmodelsHeadNamesAndMetadata()
    {
        var cfg = "cfg/yolov3-tiny.cfg";
        var shaped = Fixtures.Cfg(cfg, 160);
        var (files, _) = Write(shaped, Fixtures.SeededWeightsFile(cfg), Options("fp16"));
        var package = new PackageReader(files);
        var nn = TestModel.Create(cfg, 160, Fixtures.TempFolder(), Options("fp32"));
        var mlmodel = global::CoreML.Specification.Model.Parser.ParseFrom(nn.ModelBytes);

        Assert.Equal(mlmodel.Description.Metadata.UserDefined.Where(kv => !kv.Key.StartsWith("source", StringComparison.Ordinal)),
            package.Model.Description.Metadata.UserDefined.Where(kv => !kv.Key.StartsWith("source", StringComparison.Ordinal)));
        Assert.Equal(mlmodel.Description.Output.Select(o => (o.Name, "1x" + string.Join("x", o.Type.MultiArrayType.Shape))),
            package.Model.Description.Output.Select(o => (o.Name, string.Join("x", o.Type.MultiArrayType.Shape))));
        Assert.Equal(mlmodel.Description.Input, package.Model.Description.Input);
    }

    [Fact]
    public void Writer_RefusesNamesThatAreNotMilIdentifiers()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MLProgramWriter(new CoreMLWriterOptions { InputName = "1image" }));

        Assert.Contains("'1image'", ex.Message, StringComparison.Ordinal);
    }
}
