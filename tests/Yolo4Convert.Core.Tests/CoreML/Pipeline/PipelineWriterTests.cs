using CoreML.Specification;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.CoreML.Pipeline;

/// <summary>The written --nms model, parsed back, against the detector-pipeline contract (coreml-format.md §7, §8).</summary>
[Trait("Format", "CoreML")]
public sealed class PipelineWriterTests
{
    private static Model Parse(PipelineTestModel m) => Model.Parser.ParseFrom(m.ModelBytes);

    private static ArrayFeatureType Array(FeatureDescription f) => f.Type.MultiArrayType ?? throw new InvalidOperationException(f.Name + " is no multi-array");

    [Theory]
    [InlineData("cfg/yolov4.cfg", "native", 3 * ((20 * 20) + (10 * 10) + (5 * 5)), 1)]
    [InlineData("cfg/yolov4.cfg", "custom", 3 * ((20 * 20) + (10 * 10) + (5 * 5)), 2)]
    [InlineData("cfg/yolov2-tiny.cfg", "custom", 5 * 5 * 5, 1)]
    [InlineData("cfg/yolov7-tiny.cfg", "stable", 3 * ((20 * 20) + (10 * 10) + (5 * 5)), 1)]
    public void Write_ZooCfg_IsAValidDetectorPipeline(string cfg, string mish, int boxes, int networkVersion)
    {
        var names = File.ReadAllLines(Fixtures.Shared("cfg/coco.names"));
        var options = new CoreMLWriterOptions
        {
            ClassNames = names,
            Mish = mish switch { "native" => MishLowering.Native, "stable" => MishLowering.Stable, _ => MishLowering.CustomLayer },
        };
        var model = Parse(PipelineTestModel.Create(cfg, 160, Fixtures.TempFolder(), options));

        // A pipeline of NeuralNetwork → nonMaximumSuppression; the pipeline's version covers both stages (3).
        Assert.Equal(Model.TypeOneofCase.Pipeline, model.TypeCase);
        Assert.Equal(3, model.SpecificationVersion);
        var (network, nms) = (model.Pipeline.Models[0], model.Pipeline.Models[1]);
        Assert.Equal(2, model.Pipeline.Models.Count);
        Assert.Equal(Model.TypeOneofCase.NeuralNetwork, network.TypeCase);
        Assert.Equal(Model.TypeOneofCase.NonMaximumSuppression, nms.TypeCase);
        Assert.Equal(networkVersion, network.SpecificationVersion);
        Assert.Equal(3, nms.SpecificationVersion);
        Assert.Equal(["decoder", "nms"], model.Pipeline.Names);

        // Inputs: the image and two optional doubles; outputs confidence and coordinates; no predictedFeatureName.
        var inputs = model.Description.Input;
        Assert.Equal(["image", PipelineWriter.IouInputName, PipelineWriter.ConfidenceInputName], inputs.Select(i => i.Name));
        Assert.Equal(FeatureType.TypeOneofCase.ImageType, inputs[0].Type.TypeCase);
        Assert.False(inputs[0].Type.IsOptional);
        Assert.All(inputs.Skip(1), i => Assert.True(i.Type.TypeCase == FeatureType.TypeOneofCase.DoubleType && i.Type.IsOptional));
        Assert.Equal([PipelineWriter.ConfidenceName, PipelineWriter.CoordinatesName], model.Description.Output.Select(o => o.Name));
        Assert.All(model.Description.Output, o => Assert.False(o.Type.IsOptional));
        Assert.Empty(model.Description.PredictedFeatureName);

        // Every stage input is a pipeline input or an earlier stage's output of an equivalent type.
        var available = inputs.ToDictionary(i => i.Name, i => i.Type);
        foreach (var stage in model.Pipeline.Models)
        {
            foreach (var input in stage.Description.Input)
            {
                Assert.True(available.TryGetValue(input.Name, out var type), $"{input.Name} is produced by no earlier stage");
                Assert.True(Equivalent(type!, input.Type), $"{input.Name}: {type} vs {input.Type}");
            }

            foreach (var output in stage.Description.Output)
            {
                available[output.Name] = output.Type;
            }
        }

        foreach (var output in model.Description.Output)
        {
            Assert.True(Equivalent(available[output.Name], output.Type), output.Name);
        }

        // The decoder's rows: DOUBLE [N, C] and [N, 4], produced by its last layers.
        var decoded = network.Description.Output;
        Assert.Equal([PipelineWriter.RawConfidenceName, PipelineWriter.RawCoordinatesName], decoded.Select(o => o.Name));
        Assert.Equal([boxes, 80L], Array(decoded[0]).Shape);
        Assert.Equal([boxes, 4L], Array(decoded[1]).Shape);
        Assert.All(decoded, o => Assert.Equal(ArrayFeatureType.Types.ArrayDataType.Double, Array(o).DataType));
        Assert.All(decoded, o => Assert.Single(network.NeuralNetwork.Layers, l => l.Output.Contains(o.Name)));
        Assert.Equal(network.Description.Input[0].Name, network.NeuralNetwork.Preprocessing.Single().FeatureName);

        // NMS: DOUBLE everywhere (spec < 5), every input referenced, none optional, outputs by name with shape
        // ranges [0.., C] and [0.., 4], per-class PickTop, one label per class, thresholds in range.
        var p = nms.NonMaximumSuppression;
        Assert.True(p.PickTop.PerClass);
        Assert.Equal(names, p.StringClassLabels.Vector);
        Assert.Equal((0.45, 0.25), (p.IouThreshold, p.ConfidenceThreshold));
        var referenced = new[] { p.ConfidenceInputFeatureName, p.CoordinatesInputFeatureName, p.IouThresholdInputFeatureName, p.ConfidenceThresholdInputFeatureName };
        Assert.Equal(referenced.Order(), nms.Description.Input.Select(i => i.Name).Order());
        Assert.All(nms.Description.Input, i => Assert.False(i.Type.IsOptional));
        Assert.Equal([p.ConfidenceOutputFeatureName, p.CoordinatesOutputFeatureName], nms.Description.Output.Select(o => o.Name));
        var arrays = nms.Description.Input.Concat(nms.Description.Output).Where(f => f.Type.TypeCase == FeatureType.TypeOneofCase.MultiArrayType).ToList();
        Assert.Equal(4, arrays.Count);
        Assert.All(arrays, f => Assert.Equal(ArrayFeatureType.Types.ArrayDataType.Double, Array(f).DataType));
        var ranges = nms.Description.Output.Select(o => Array(o).ShapeRange.SizeRanges.Select(r => (r.LowerBound, r.UpperBound)).ToArray()).ToArray();
        Assert.Equal([(0UL, -1L), ((ulong)names.Length, names.Length)], ranges[0]);
        Assert.Equal([(0UL, -1L), (4UL, 4L)], ranges[1]);
        Assert.All(nms.Description.Output, o => Assert.Empty(Array(o).Shape));

        // The raw-head metadata stays, plus the NMS defaults and Xcode's preview type.
        var meta = model.Description.Metadata.UserDefined;
        Assert.Equal("objectDetector", meta["com.apple.coreml.model.preview.type"]);
        Assert.Contains("classes", meta.Keys);
        Assert.Equal("0.45", meta["nms.iou_threshold"]);
        Assert.Contains("heads", meta.Keys);
    }

    [Fact]
    public void Write_Twice_GivesTheSameBytesAndTheRawModelsLayersAsPrefix()
    {
        var folder = Fixtures.TempFolder();
        var a = PipelineTestModel.Create("cfg/yolov4-tiny.cfg", 128, folder);
        var b = PipelineTestModel.Create("cfg/yolov4-tiny.cfg", 128, folder);
        var raw = Model.Parser.ParseFrom(TestModel.Create("cfg/yolov4-tiny.cfg", 128, folder).ModelBytes);

        Assert.Equal(a.ModelBytes, b.ModelBytes);
        var layers = Parse(a).Pipeline.Models[0].NeuralNetwork.Layers;
        Assert.Equal(raw.NeuralNetwork.Layers, layers.Take(raw.NeuralNetwork.Layers.Count));
        Assert.All(layers.Skip(raw.NeuralNetwork.Layers.Count), l => Assert.Contains("decode_", l.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Write_WithoutNames_LabelsAreClassNumbers()
    {
        var model = PipelineTestModel.Create("cfg/yolov3-tiny.cfg", 128, Fixtures.TempFolder(), nms: new NmsOptions { IouThreshold = 0.6, ConfidenceThreshold = 0.1 });

        Assert.False(model.Result.LabelsFromNames);
        var nms = Parse(model).Pipeline.Models[1].NonMaximumSuppression;
        Assert.Equal(Enumerable.Range(0, 80).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), nms.StringClassLabels.Vector);
        Assert.Equal((0.6, 0.1), (nms.IouThreshold, nms.ConfidenceThreshold));
        Assert.DoesNotContain("classes", Parse(model).Description.Metadata.UserDefined.Keys);
    }

    [Theory]
    [InlineData(1.5, 0.25)]
    [InlineData(0.45, -0.1)]
    public void Create_ThresholdOutOfRange_Throws(double iou, double confidence) =>
        Assert.Throws<ArgumentException>(() => new PipelineWriter(nms: new NmsOptions { IouThreshold = iou, ConfidenceThreshold = confidence }));

    [Fact]
    public void Create_InputNamedLikeAPipelineFeature_Throws() =>
        Assert.Throws<ArgumentException>(() => new PipelineWriter(new CoreMLWriterOptions { InputName = "confidence" }));

    [Fact]
    public void Write_RegionWithoutSoftmax_IsUnsupportedAtItsCfgLine()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "v2.cfg");
        File.WriteAllText(cfg, File.ReadAllText(Fixtures.Shared("cfg/yolov2-tiny.cfg")).Replace("softmax=1", "softmax=0", StringComparison.Ordinal));
        var (shaped, weighted) = Yolo4Convert.Darknet.DarknetReader.Read(TestFiles.Open(cfg), TestFiles.Open(Fixtures.SeededWeightsFile("cfg/yolov2-tiny.cfg")));

        var ex = Assert.Throws<UnsupportedFeatureException>(() => new PipelineWriter().Write(weighted, shaped, new MemoryStream()));
        Assert.Contains("softmax=0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("v2.cfg:", ex.Message, StringComparison.Ordinal);
    }

    // Comparison.cpp isEquivalent: same kind; arrays of the same data type and rank, same shape unless either has a range.
    private static bool Equivalent(FeatureType a, FeatureType b) => a.TypeCase == b.TypeCase && a.TypeCase switch
    {
        FeatureType.TypeOneofCase.MultiArrayType => a.MultiArrayType.DataType == b.MultiArrayType.DataType
            && (a.MultiArrayType.ShapeRange is not null || b.MultiArrayType.ShapeRange is not null || a.MultiArrayType.Shape.SequenceEqual(b.MultiArrayType.Shape)),
        FeatureType.TypeOneofCase.ImageType => a.ImageType.Width == b.ImageType.Width && a.ImageType.Height == b.ImageType.Height && a.ImageType.ColorSpace == b.ImageType.ColorSpace,
        _ => true,
    };
}
