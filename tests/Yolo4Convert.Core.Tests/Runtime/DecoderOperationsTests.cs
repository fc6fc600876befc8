using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Runtime;

/// <summary>The decoder's layers (permute, scale, unary) with Core ML's semantics, on hand-computed values.</summary>
public sealed class DecoderOperationsTests
{
    // A 3×2×2 image whose pixel values are their own CHW index (0..11), through one layer, output `out`.
    private static Tensor Run(NeuralNetworkLayer layer, int[] outShape)
    {
        var description = new ModelDescription();
        description.Input.Add(new FeatureDescription
        {
            Name = "image",
            Type = new FeatureType { ImageType = new ImageFeatureType { Width = 2, Height = 2, ColorSpace = ImageFeatureType.Types.ColorSpace.Rgb } },
        });
        var array = new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Double };
        array.Shape.Add(outShape.Select(d => (long)d));
        description.Output.Add(new FeatureDescription { Name = "out", Type = new FeatureType { MultiArrayType = array } });
        layer.Name = "layer";
        layer.Input.Add("image");
        layer.Output.Add("out");
        var nn = new NeuralNetwork { Layers = { layer } };
        nn.Preprocessing.Add(new NeuralNetworkPreprocessing { FeatureName = "image", Scaler = new NeuralNetworkImageScaler { ChannelScale = 1f } });
        var model = new Model { SpecificationVersion = 1, Description = description, NeuralNetwork = nn };
        var runtime = CoreMLRuntime.Load(new MemoryStream(model.ToByteArray()), "m");
        return runtime.Run(new Tensor(new TensorShape(3, 2, 2), [.. Enumerable.Range(0, 12).Select(i => (float)i)]))["out"];
    }

    [Fact]
    public void Permute_0321_SwapsChannelsAndWidth()
    {
        // [C=3, H=2, W=2] → [W, H, C]: out[w, h, c] = in[c, h, w] = 4c + 2h + w.
        var y = Run(new NeuralNetworkLayer { Permute = new PermuteLayerParams { Axis = { 0, 3, 2, 1 } } }, [2, 2, 3]);

        Assert.Equal(new TensorShape(2, 2, 3), y.Shape);
        Assert.Equal([0f, 4, 8, 2, 6, 10, 1, 5, 9, 3, 7, 11], y.Data);
    }

    [Fact]
    public void Permute_MovingTheSequenceAxis_IsRejected() =>
        Assert.Throws<UnsupportedFeatureException>(() => Run(new NeuralNetworkLayer { Permute = new PermuteLayerParams { Axis = { 1, 0, 2, 3 } } }, [3, 2, 2]));

    [Fact]
    public void Scale_PerChannelScaleAndPerPixelBias_Broadcast()
    {
        var p = new ScaleLayerParams { ShapeScale = { 3 }, Scale = new WeightParams { FloatValue = { 1, 10, 100 } }, HasBias = true, ShapeBias = { 1, 2, 2 }, Bias = new WeightParams { FloatValue = { 0.5f, 0.25f, 0, -1 } } };

        var y = Run(new NeuralNetworkLayer { Scale = p }, [3, 2, 2]);

        Assert.Equal([0.5f, 1.25f, 2, 2, 40.5f, 50.25f, 60, 69, 800.5f, 900.25f, 1000, 1099], y.Data);
    }

    [Fact]
    public void Unary_Exp_AppliesScaleAndShiftFirst()
    {
        var y = Run(new NeuralNetworkLayer { Unary = new UnaryFunctionLayerParams { Type = UnaryFunctionLayerParams.Types.Operation.Exp, Scale = 0.5f, Shift = -1 } }, [3, 2, 2]);

        Assert.Equal(MathF.Exp(-1f), y.Data[0]);
        Assert.Equal(MathF.Exp((0.5f * 11) - 1), y.Data[11]);
    }

    [Fact]
    public void Unary_ScaleUnset_MeansOne() =>
        Assert.Equal(MathF.Exp(3f), Run(new NeuralNetworkLayer { Unary = new UnaryFunctionLayerParams { Type = UnaryFunctionLayerParams.Types.Operation.Exp } }, [3, 2, 2]).Data[3]);

    [Fact]
    public void Scale_ConstantThatDoesNotBroadcast_IsRejectedAtLoad()
    {
        var p = new ScaleLayerParams { ShapeScale = { 2 }, Scale = new WeightParams { FloatValue = { 1, 2 } } };

        var ex = Assert.Throws<ModelFormatException>(() => Run(new NeuralNetworkLayer { Scale = p }, [3, 2, 2]));
        Assert.Contains("expected [1], [C], [1,H,W] or [C,H,W]", ex.Message, StringComparison.Ordinal);
    }
}
