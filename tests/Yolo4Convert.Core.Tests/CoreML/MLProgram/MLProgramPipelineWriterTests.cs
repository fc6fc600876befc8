using CoreML.Specification;
using CoreML.Specification.MILSpec;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.MLProgram;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Passes;

namespace Yolo4Convert.Tests.CoreML.MLProgram;

/// <summary>
/// --nms packages ([ML Program, NMS] pipelines) of every head kind, read back without the writer: every rule
/// <see cref="PackageReader"/> checks of raw packages (declared = inferred types, blob dtypes and counts, opset and
/// spec, description = function I/O) plus the pipeline's, and what they share with the .mlmodel pipeline.
/// </summary>
[Trait("Format", "CoreML")]
public sealed class MLProgramPipelineWriterTests
{
    // [yolo] with scale_x_y and mish (yolov4), plain [yolo] (yolov3-tiny), [region] (yolov2), new_coords (yolov4-csp).
    public static TheoryData<string, string, int> HeadKinds()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (cfg, boxes) in new[] { ("cfg/yolov4.cfg", 1575), ("cfg/yolov3-tiny.cfg", 375), ("cfg/yolov2.cfg", 125), ("cfg/yolov4-csp.cfg", 1575) })
        {
            data.Add(cfg, "fp32", boxes);
            data.Add(cfg, "fp16", boxes);
        }

        return data;
    }

    private static CoreMLWriterOptions Options(string precision, string[]? names = null) =>
        new() { Precision = Yolo4Convert.Weights.WeightFormat.Parse(precision), Mish = MishLowering.Stable, ClassNames = names };

    /// <summary>Writes a detector package into memory: path → bytes.</summary>
    internal static (Dictionary<string, byte[]> Files, MLProgramPipelineWriteResult Result) Write(
        ShapedNetwork shaped, string weightsPath, CoreMLWriterOptions options, NmsOptions? nms = null, MLProgramTarget? target = null)
    {
        var streams = new Dictionary<string, MemoryStream>();
        using var weights = DarknetWeightsFile.Open(shaped, TestFiles.Open(weightsPath));
        var result = new MLProgramPipelineWriter(options, nms, target).Write(shaped, weights, path =>
        {
            var stream = new MemoryStream();
            streams.Add(path, stream);
            return stream;
        });
        return (streams.ToDictionary(s => s.Key, s => s.Value.ToArray()), result);
    }

    /// <summary>Writes a detector package into <paramref name="folder"/>; returns its path.</summary>
    internal static string WriteFolder(ShapedNetwork shaped, string weightsPath, CoreMLWriterOptions options, string folder) =>
        MLProgramWriterTests.Save(Write(shaped, weightsPath, options).Files, folder, "detector.mlpackage");

    [Theory]
    [MemberData(nameof(HeadKinds))]
    public void Write_HeadKindAt160_IsAConsistentPipelinePackageAndDeterministic(string cfg, string precision, int boxes)
    {
        var shaped = Fixtures.Cfg(cfg, 160);
        var weights = Fixtures.SeededWeightsFile(cfg);
        var (files, result) = Write(shaped, weights, Options(precision));
        var (again, _) = Write(shaped, weights, Options(precision));

        var package = new PackageReader(files);
        package.Check(precision == "fp16" ? DataType.Float16 : DataType.Float32);
        Assert.True(package.IsPipeline);
        Assert.Equal(["Data/com.apple.CoreML/model.mlmodel", "Data/com.apple.CoreML/weights/0-weight.bin", "Manifest.json"], files.Keys.Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.True(f.Value.AsSpan().SequenceEqual(again[f.Key]), $"{f.Key} differs between two writes"));
        Assert.Equal((boxes, 80, 6), (result.Boxes, result.Classes, result.SpecificationVersion));
        Assert.Equal([PipelineWriter.RawConfidenceName, PipelineWriter.RawCoordinatesName], package.Block.Outputs);
        Assert.Equal([boxes, 80], package.Model.Description.Output[0].Type.MultiArrayType.Shape);
        Assert.Equal(shaped.Network.Layers.OfType<Yolo4Convert.Graph.ConvolutionalLayer>().Count(), package.Ops("conv").Count());
        Assert.Equal(result.Program.OperationCount, package.Block.Operations.Count(o => o.Type != "const"));
    }

    [Fact]
    public void Write_RealModel_SharesThePipelineOfTheMlmodelButFloat32AndSpec6()
    {
        var names = File.ReadAllLines(Fixtures.Shared("cfg/coco.names"));
        var shaped = Fixtures.Cfg(Fixtures.RealModelCfg);
        var nms = new NmsOptions { IouThreshold = 0.5, ConfidenceThreshold = 0.3 };
        var (files, result) = Write(shaped, Fixtures.Shared(Fixtures.RealModelWeights), Options("fp16", names), nms);
        var package = new PackageReader(files);
        package.Check(DataType.Float16);
        var mlmodel = Model.Parser.ParseFrom(PipelineTestModel.Create(Fixtures.RealModelCfg, null, Fixtures.TempFolder(), Options("fp32", names), nms, Fixtures.Shared(Fixtures.RealModelWeights)).ModelBytes);

        // The same NMS stage but for its arrays' type and version; the same pipeline interface and metadata.
        static Model Float32(Model m)
        {
            var copy = m.Clone();
            copy.SpecificationVersion = 5;
            foreach (var f in copy.Description.Input.Concat(copy.Description.Output).Where(f => f.Type.TypeCase == FeatureType.TypeOneofCase.MultiArrayType))
            {
                f.Type.MultiArrayType.DataType = ArrayFeatureType.Types.ArrayDataType.Float32;
            }

            return copy;
        }

        Assert.Equal(Float32(mlmodel.Pipeline.Models[1]), package.Root.Pipeline.Models[1]);
        Assert.Equal(mlmodel.Pipeline.Names, package.Root.Pipeline.Names);
        Assert.Equal(Float32(mlmodel).Description.Input, package.Root.Description.Input);
        Assert.Equal(Float32(mlmodel).Description.Output, package.Root.Description.Output);
        Assert.Equal(mlmodel.Description.Metadata.UserDefined.Where(kv => !kv.Key.StartsWith("source", StringComparison.Ordinal)),
            package.Root.Description.Metadata.UserDefined.Where(kv => !kv.Key.StartsWith("source", StringComparison.Ordinal)));
        Assert.Equal(mlmodel.Description.Metadata.ShortDescription, package.Root.Description.Metadata.ShortDescription);
        Assert.Equal("objectDetector", package.Root.Description.Metadata.UserDefined[MetadataKeys.PreviewType]);
        Assert.Equal((6, 6, 5), (package.Root.SpecificationVersion, package.Model.SpecificationVersion, package.Root.Pipeline.Models[1].SpecificationVersion));
        Assert.Equal(names, result.Labels);
        Assert.True(result.LabelsFromNames);
    }

    [Fact]
    public void Write_PinnedTarget_StageAndPipelineTakeItsVersion()
    {
        var (files, result) = Write(Fixtures.Cfg("cfg/yolov3-tiny.cfg", 160), Fixtures.SeededWeightsFile("cfg/yolov3-tiny.cfg"), Options("fp32"), target: MLProgramTarget.IOS17);
        var package = new PackageReader(files);

        package.Check(DataType.Float32, 8);
        Assert.Equal((8, "CoreML7"), (result.SpecificationVersion, result.Program.Opset));
    }

    [Fact]
    public void Write_Fp16_DecodesInFp16AndCastsOnlyTheTwoRowMatricesBack()
    {
        var (files, _) = Write(Fixtures.Cfg("cfg/yolov3-tiny.cfg", 160), Fixtures.SeededWeightsFile("cfg/yolov3-tiny.cfg"), Options("fp16"));
        var package = new PackageReader(files);

        var casts = package.Ops("cast").Select(c => c.Outputs[0].Name).ToList();
        Assert.Equal(["image__scaled___to_fp16", PipelineWriter.RawConfidenceName, PipelineWriter.RawCoordinatesName], casts);
        var grids = package.Block.Operations.Where(o => o.Type == "const" && o.Outputs[0].Name.EndsWith("_decode_grid", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, grids.Count);
        Assert.All(grids, g => Assert.Equal(DataType.Float16, g.Outputs[0].Type.TensorType.DataType));
    }

    [Fact]
    public void Write_RegionWithoutSoftmax_IsUnsupportedAsForTheMlmodel()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "v2.cfg");
        File.WriteAllText(cfg, File.ReadAllText(Fixtures.Shared("cfg/yolov2-tiny.cfg")).Replace("softmax=1", "softmax=0", StringComparison.Ordinal));
        var (shaped, _) = DarknetReader.Read(TestFiles.Open(cfg), TestFiles.Open(Fixtures.SeededWeightsFile("cfg/yolov2-tiny.cfg")));

        var ex = Assert.Throws<UnsupportedFeatureException>(() => Write(shaped, Fixtures.SeededWeightsFile("cfg/yolov2-tiny.cfg"), Options("fp16")));

        Assert.Contains("softmax=0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("v2.cfg:", ex.Message, StringComparison.Ordinal);
    }
}
