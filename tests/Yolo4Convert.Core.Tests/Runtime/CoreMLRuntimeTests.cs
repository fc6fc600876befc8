using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Runtime;

public sealed class CoreMLRuntimeTests
{
    private static Model ImageModel(NeuralNetworkLayer layer)
    {
        var description = new ModelDescription();
        description.Input.Add(new FeatureDescription
        {
            Name = "image",
            Type = new FeatureType { ImageType = new ImageFeatureType { Width = 4, Height = 4, ColorSpace = ImageFeatureType.Types.ColorSpace.Rgb } },
        });
        var array = new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Float32 };
        array.Shape.Add([3, 4, 4]);
        description.Output.Add(new FeatureDescription { Name = "out", Type = new FeatureType { MultiArrayType = array } });
        var nn = new NeuralNetwork();
        layer.Input.Add("image");
        layer.Output.Add("out");
        nn.Layers.Add(layer);
        return new Model { SpecificationVersion = 1, Description = description, NeuralNetwork = nn };
    }

    [Fact]
    public void Load_LayerItCannotRun_IsRejectedWithTheLayerName()
    {
        var model = ImageModel(new NeuralNetworkLayer { Name = "007_mystery", Custom = new CustomLayerParams { ClassName = "Swirl" } });

        var ex = Assert.Throws<UnsupportedFeatureException>(() => CoreMLRuntime.Load(new MemoryStream(model.ToByteArray()), "m.mlmodel"));

        Assert.Contains("Core ML layer '007_mystery' is custom layer class 'Swirl' (only 'Mish' is known), which the runtime cannot run.", ex.Message);
    }

    [Fact]
    public void Load_NotAModel_IsAFormatError()
    {
        var ex = Assert.Throws<ModelFormatException>(() => CoreMLRuntime.Load(new MemoryStream("<html>not a model</html>"u8.ToArray()), "page.mlmodel"));

        Assert.StartsWith("page.mlmodel: error:", ex.Message);
    }

    [Fact]
    public void Run_AppliesTheImageScalerBeforeTheLayers()
    {
        var model = ImageModel(new NeuralNetworkLayer { Name = "id", Activation = new ActivationParams { Linear = new ActivationLinear { Alpha = 2f } } });
        model.NeuralNetwork.Preprocessing.Add(new NeuralNetworkPreprocessing
        {
            FeatureName = "image",
            Scaler = new NeuralNetworkImageScaler { ChannelScale = 0.5f, RedBias = 1f, GreenBias = 2f, BlueBias = 3f },
        });
        var runtime = CoreMLRuntime.Load(new MemoryStream(model.ToByteArray()), "m");
        var pixels = new Yolo4Convert.Numerics.Tensor(new(3, 4, 4));
        Array.Fill(pixels.Data, 10f);

        var output = runtime.Run(pixels)["out"];

        Assert.Equal([12f, 14f, 16f], [output.Data[0], output.Data[16], output.Data[32]]);
    }

    [Theory]
    [InlineData("lut", "a convolution with a lookup table of 15 entries for 4-bit indices")]
    [InlineData("short", "a convolution with 1 bytes of 4-bit weights where 3 weights need 2")]
    [InlineData("two", "a convolution with weights in more than one format")]
    public void Load_MalformedQuantizedWeights_IsRejectedWithWhatIsWrong(string problem, string message)
    {
        var conv = new ConvolutionLayerParams { OutputChannels = 3, KernelChannels = 1, NGroups = 3, Valid = new ValidPadding() };
        conv.KernelSize.Add([1, 1]);
        var lut = new LookUpTableQuantizationParams();
        lut.FloatValue.AddRange(Enumerable.Range(0, problem == "lut" ? 15 : 16).Select(i => (float)i));
        conv.Weights = new WeightParams
        {
            RawValue = ByteString.CopyFrom(problem == "short" ? [0x12] : [0x12, 0x30]),
            Quantization = new QuantizationParams { NumberOfBits = 4, LookupTableQuantization = lut },
        };
        if (problem == "two")
        {
            conv.Weights.FloatValue.AddRange([1f, 2f, 3f]);
        }

        var model = ImageModel(new NeuralNetworkLayer { Name = "003_conv", Convolution = conv });

        var ex = Assert.Throws<UnsupportedFeatureException>(() => CoreMLRuntime.Load(new MemoryStream(model.ToByteArray()), "m.mlmodel"));

        Assert.Contains($"Core ML layer '003_conv' is {message}", ex.Message);
    }

    [Fact]
    public void Run_FourBitLookupTableDepthwiseConv_DequantizesMsbFirst()
    {
        // Indices 1, 2, 3 packed as 0001 0010 | 0011 0000; the table maps i to 10·i.
        var conv = new ConvolutionLayerParams { OutputChannels = 3, KernelChannels = 1, NGroups = 3, Valid = new ValidPadding() };
        conv.KernelSize.Add([1, 1]);
        var lut = new LookUpTableQuantizationParams();
        lut.FloatValue.AddRange(Enumerable.Range(0, 16).Select(i => 10f * i));
        conv.Weights = new WeightParams
        {
            RawValue = ByteString.CopyFrom([0x12, 0x30]),
            Quantization = new QuantizationParams { NumberOfBits = 4, LookupTableQuantization = lut },
        };
        var runtime = CoreMLRuntime.Load(new MemoryStream(ImageModel(new NeuralNetworkLayer { Name = "c", Convolution = conv }).ToByteArray()), "m");
        var pixels = new Yolo4Convert.Numerics.Tensor(new(3, 4, 4));
        Array.Fill(pixels.Data, 1f);

        var output = runtime.Run(pixels)["out"];

        Assert.Equal("kmeans4", runtime.StoredWeights.Name);
        Assert.Equal([10f, 20f, 30f], [output.Data[0], output.Data[16], output.Data[32]]);
    }

    [Fact]
    public void Run_Fp16Emulation_RoundsEveryLayerOutputToHalf()
    {
        var model = ImageModel(new NeuralNetworkLayer { Name = "id", Activation = new ActivationParams { Linear = new ActivationLinear { Alpha = 1f, Beta = 1e-4f } } });
        var runtime = CoreMLRuntime.Load(new MemoryStream(model.ToByteArray()), "m");
        var pixels = new Yolo4Convert.Numerics.Tensor(new(3, 4, 4));
        Array.Fill(pixels.Data, 1000f);

        var full = runtime.Run(pixels)["out"].Data[0];
        var half = runtime.Run(pixels, ComputePrecision.Fp16)["out"].Data[0];

        Assert.Equal(1000.0001f, full);
        Assert.Equal(1000f, half); // halves near 1000 are 0.5 apart
    }
}
