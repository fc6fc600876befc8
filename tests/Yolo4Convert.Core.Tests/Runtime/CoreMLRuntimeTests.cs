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
        var ex = Assert.Throws<DarknetFormatException>(() => CoreMLRuntime.Load(new MemoryStream("<html>not a model</html>"u8.ToArray()), "page.mlmodel"));

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
}
