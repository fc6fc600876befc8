using CoreML.Specification;
using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Tests.CoreML;

[Trait("Format", "CoreML")]
public sealed class CoreMLWriterTests
{
    private static Model Parse(TestModel m) => Model.Parser.ParseFrom(m.ModelBytes);

    private static IEnumerable<NeuralNetworkLayer> Layers(Model model, NeuralNetworkLayer.LayerOneofCase kind) =>
        model.NeuralNetwork.Layers.Where(l => l.LayerCase == kind);

    [Fact]
    public void Write_Yolov4_Has72MishCustomLayersAndThreeRawHeads()
    {
        var model = Parse(TestModel.Create("cfg/yolov4.cfg", null, Fixtures.TempFolder()));

        Assert.Equal(2, model.SpecificationVersion);
        var custom = Layers(model, NeuralNetworkLayer.LayerOneofCase.Custom).ToList();
        Assert.Equal(72, custom.Count);
        Assert.All(custom, l => Assert.Equal("Mish", l.Custom.ClassName));
        var outputs = model.Description.Output.Select(o => (o.Name, string.Join("x", o.Type.MultiArrayType.Shape))).ToArray();
        Assert.Equal([("head_s8", "255x76x76"), ("head_s16", "255x38x38"), ("head_s32", "255x19x19")], outputs);
        var input = Assert.Single(model.Description.Input);
        Assert.Equal((608L, 608L, ImageFeatureType.Types.ColorSpace.Rgb), (input.Type.ImageType.Width, input.Type.ImageType.Height, input.Type.ImageType.ColorSpace));
        Assert.Equal(1f / 255f, model.NeuralNetwork.Preprocessing.Single().Scaler.ChannelScale);
        Assert.Equal(110, Layers(model, NeuralNetworkLayer.LayerOneofCase.Convolution).Count());
        foreach (var o in outputs)
        {
            Assert.Single(model.NeuralNetwork.Layers, l => l.Output.Contains(o.Name));
        }
    }

    [Fact]
    public void Write_Yolov4NativeMish_UsesBuiltInLayersAndSpec1()
    {
        var options = new CoreMLWriterOptions { Mish = MishLowering.Native };
        var model = Parse(TestModel.Create("cfg/yolov4.cfg", 416, Fixtures.TempFolder(), options));

        Assert.Equal(1, model.SpecificationVersion);
        Assert.Empty(Layers(model, NeuralNetworkLayer.LayerOneofCase.Custom));
        var activations = Layers(model, NeuralNetworkLayer.LayerOneofCase.Activation).ToList();
        Assert.Equal(72, activations.Count(l => l.Activation.NonlinearityTypeCase == ActivationParams.NonlinearityTypeOneofCase.Softplus));
        Assert.Equal(72, activations.Count(l => l.Activation.NonlinearityTypeCase == ActivationParams.NonlinearityTypeOneofCase.Tanh));
    }

    [Fact]
    public void Write_Yolov4StableMish_NeverFeedsSoftplusFromAnythingButTheMinimum()
    {
        var options = new CoreMLWriterOptions { Mish = MishLowering.Stable };
        var model = Parse(TestModel.Create("cfg/yolov4.cfg", 416, Fixtures.TempFolder(), options));
        var producers = model.NeuralNetwork.Layers.ToDictionary(l => l.Output[0]);

        var softplus = Layers(model, NeuralNetworkLayer.LayerOneofCase.Activation)
            .Where(l => l.Activation.NonlinearityTypeCase == ActivationParams.NonlinearityTypeOneofCase.Softplus).ToList();

        Assert.Equal(1, model.SpecificationVersion);
        Assert.Equal(72, softplus.Count);
        Assert.All(softplus, l => Assert.Equal(NeuralNetworkLayer.LayerOneofCase.Min, producers[l.Input[0]].LayerCase));
        Assert.Empty(Layers(model, NeuralNetworkLayer.LayerOneofCase.Custom));
    }

    [Fact]
    public void Write_ConvWeights_AreDarknetWeightsWithBatchNormFoldedInDouble()
    {
        var m = TestModel.Create("cfg/yolov3-tiny.cfg", null, Fixtures.TempFolder());
        var conv = Layers(Parse(m), NeuralNetworkLayer.LayerOneofCase.Convolution).First().Convolution;
        var darknet = m.Weighted.Weights[0]!;

        // Filter 5, kernel value 7: W·scale/sqrt(var + 1e-5); bias: β − scale·mean/sqrt(var + 1e-5).
        var bn = darknet.BatchNorm!;
        var std = Math.Sqrt(bn.Variance[5] + 1e-5);
        Assert.Equal((float)(darknet.Kernel[(5 * 27) + 7] * (bn.Scales[5] / std)), conv.Weights.FloatValue[(5 * 27) + 7]);
        Assert.Equal((float)(darknet.Biases[5] - (bn.Scales[5] * bn.Mean[5] / std)), conv.Bias.FloatValue[5]);
        Assert.Equal((16ul, 3ul, 1ul), (conv.OutputChannels, conv.KernelChannels, conv.NGroups));
    }

    [Fact]
    public void Write_StrideTwoConvOnEvenInput_PadsTopLeftOnlyLikeDarknet()
    {
        var model = Parse(TestModel.Create("cfg/yolov4.cfg", null, Fixtures.TempFolder()));
        var conv = model.NeuralNetwork.Layers.Single(l => l.Name == "001_conv").Convolution;

        var pad = conv.Valid.PaddingAmounts.BorderAmounts_;
        Assert.Equal((1ul, 0ul, 1ul, 0ul), (pad[0].StartEdgeSize, pad[0].EndEdgeSize, pad[1].StartEdgeSize, pad[1].EndEdgeSize));
        Assert.Equal([2ul, 2ul], conv.Stride);
    }

    [Fact]
    public void Write_MaxPoolSizeTwoStrideOne_PadsBottomRight()
    {
        var model = Parse(TestModel.Create("cfg/yolov3-tiny.cfg", null, Fixtures.TempFolder()));
        var pool = model.NeuralNetwork.Layers.Single(l => l.Name == "011_maxpool").Pooling;

        var pad = pool.Valid.PaddingAmounts.BorderAmounts_;
        Assert.Equal((0ul, 1ul, 0ul, 1ul), (pad[0].StartEdgeSize, pad[0].EndEdgeSize, pad[1].StartEdgeSize, pad[1].EndEdgeSize));
    }

    [Fact]
    public void Write_SameInput_GivesIdenticalBytes()
    {
        var folder = Fixtures.TempFolder();
        var a = TestModel.Create("cfg/yolov4-tiny.cfg", null, folder);
        var b = TestModel.Create("cfg/yolov4-tiny.cfg", null, folder, weights: a.WeightsPath);

        Assert.Equal(a.ModelBytes, b.ModelBytes);
    }

    [Fact]
    public void Write_RealYoloFastest_MetadataCarriesAnchorsMasksAndScale()
    {
        var names = File.ReadAllLines(Fixtures.Shared("cfg/coco.names"));
        var options = new CoreMLWriterOptions { ClassNames = names };
        var model = Parse(TestModel.Create(Fixtures.RealModelCfg, null, Fixtures.TempFolder(), options, weights: Fixtures.Shared(Fixtures.RealModelWeights)));
        var meta = model.Description.Metadata.UserDefined;

        Assert.Equal("head_s32,head_s16", meta["heads"]);
        Assert.Equal("3,4,5", meta["head.head_s32.mask"]);
        Assert.Equal("115,73,119,199,242,238", meta["head.head_s32.anchors"]);
        Assert.Equal("0,1,2", meta["head.head_s16.mask"]);
        Assert.Equal("12,18,37,49,52,132", meta["head.head_s16.anchors"]);
        Assert.Equal("1", meta["head.head_s16.scale_x_y"]);
        Assert.Equal("80", meta["head.head_s16.classes"]);
        Assert.Equal(("320", "320", "stretch"), (meta["input.width"], meta["input.height"], meta["input.resize"]));
        Assert.Equal("[" + string.Join(",", names.Select(n => $"\"{n}\"")) + "]", meta["classes"]);
    }

    [Fact]
    public void Write_Yolov4_MetadataCarriesScaleXYPerHead()
    {
        var model = Parse(TestModel.Create("cfg/yolov4.cfg", 416, Fixtures.TempFolder()));
        var meta = model.Description.Metadata.UserDefined;

        Assert.Equal(("1.2", "1.1", "1.05"), (meta["head.head_s8.scale_x_y"], meta["head.head_s16.scale_x_y"], meta["head.head_s32.scale_x_y"]));
        Assert.Equal(("8", "16", "32"), (meta["head.head_s8.stride"], meta["head.head_s16.stride"], meta["head.head_s32.stride"]));
        Assert.Equal("12,16,19,36,40,28", meta["head.head_s8.anchors"]);
    }

    [Fact]
    public void Write_RenamedInputAndOutputs_ReplaceAnExistingModelsInterface()
    {
        var options = new CoreMLWriterOptions { InputName = "input1", OutputNames = ["output1", "output2", "output3"] };
        var model = Parse(TestModel.Create("cfg/yolov4-tiny-3l.cfg", null, Fixtures.TempFolder(), options));

        Assert.Equal("input1", model.Description.Input.Single().Name);
        Assert.Equal(["output1", "output2", "output3"], model.Description.Output.Select(o => o.Name));
        Assert.Equal("input1", model.NeuralNetwork.Layers[0].Input.Single());
    }

    [Fact]
    public void Write_WrongNumberOfOutputNames_IsAnArgumentError()
    {
        var shaped = Fixtures.Cfg("cfg/yolov4-tiny.cfg");

        var ex = Assert.Throws<ArgumentException>(() => new CoreMLWriter(new CoreMLWriterOptions { OutputNames = ["a"] }).DescribeHeads(shaped));

        Assert.Contains("1 output names were given for 2 detection heads", ex.Message);
    }

    [Fact]
    public void Write_ActivationWithoutCoreMLEquivalent_NamesLayerAndLine()
    {
        var text = "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nfilters=18\nactivation=hardtan\n[yolo]\nclasses=1\nnum=3\n";
        var shaped = DarknetReader.ReadCfg(text, "odd.cfg");
        var weighted = new Yolo4Convert.Graph.WeightedNetwork(shaped.Network, [new([.. new float[18]], null, [.. new float[54]]), null], new(0, 2, 5, 0, 20));

        var ex = Assert.Throws<UnsupportedFeatureException>(() => new CoreMLWriter().Write(weighted, shaped, Stream.Null));

        Assert.Equal("odd.cfg:5:1: error: layer 0 [convolutional] uses activation=hardtan, which has no exact Core ML lowering. " +
            "Hint: supported: linear, leaky, relu, relie, logistic, tanh, elu, selu, swish, mish, revleaky.", ex.Message);
    }
}
