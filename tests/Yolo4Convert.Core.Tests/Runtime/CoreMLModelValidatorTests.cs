using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Runtime;

/// <summary>Damaged models fail at load with the layer named, never with a crash while running.</summary>
public sealed class CoreMLModelValidatorTests
{
    private static Model Model(uint side, int outC, int outH, int outW, params NeuralNetworkLayer[] layers)
    {
        var description = new ModelDescription();
        description.Input.Add(new FeatureDescription
        {
            Name = "image",
            Type = new FeatureType { ImageType = new ImageFeatureType { Width = side, Height = side, ColorSpace = ImageFeatureType.Types.ColorSpace.Rgb } },
        });
        var array = new ArrayFeatureType { DataType = ArrayFeatureType.Types.ArrayDataType.Float32 };
        array.Shape.Add([outC, outH, outW]);
        description.Output.Add(new FeatureDescription { Name = "out", Type = new FeatureType { MultiArrayType = array } });
        var nn = new NeuralNetwork();
        nn.Layers.Add(layers);
        return new Model { SpecificationVersion = 1, Description = description, NeuralNetwork = nn };
    }

    private static NeuralNetworkLayer L(string name, string input, string output, Action<NeuralNetworkLayer> set)
    {
        var layer = new NeuralNetworkLayer { Name = name };
        layer.Input.Add(input);
        layer.Output.Add(output);
        set(layer);
        return layer;
    }

    private static NeuralNetworkLayer Conv(string input, string output, ulong stride = 1, ulong pad = 0, ulong kernel = 1, ulong outC = 3)
    {
        var p = new ConvolutionLayerParams { OutputChannels = outC, KernelChannels = 3, NGroups = 1, Valid = new ValidPadding { PaddingAmounts = new BorderAmounts() } };
        p.KernelSize.Add([kernel, kernel]);
        p.Stride.Add([stride, stride]);
        p.DilationFactor.Add([1, 1]);
        p.Valid.PaddingAmounts.BorderAmounts_.Add([new EdgeSizes { StartEdgeSize = pad, EndEdgeSize = pad }, new EdgeSizes { StartEdgeSize = pad, EndEdgeSize = pad }]);
        p.Weights = new WeightParams();
        p.Weights.FloatValue.Add(new float[(int)(outC * 3 * kernel * kernel)]);
        return L("conv", input, output, l => l.Convolution = p);
    }

    private static T Fails<T>(Model model)
        where T : Exception => Assert.Throws<T>(() => CoreMLRuntime.Load(new MemoryStream(model.ToByteArray()), "m.mlmodel"));

    [Fact]
    public void Load_ConvolutionWithStrideZero_NamesTheLayer()
    {
        var ex = Fails<ModelFormatException>(Model(8, 3, 8, 8, Conv("image", "out", stride: 0)));

        Assert.StartsWith("m.mlmodel: error: Core ML layer 0 'conv' (Convolution) has stride [0,0]; expected two values from 1 to 4096.", ex.Message);
    }

    [Fact]
    public void Load_HugePadding_IsAnErrorNotAnOverflow()
    {
        var ex = Fails<ModelFormatException>(Model(8, 3, 8, 8, Conv("image", "out", pad: 1UL << 40)));

        Assert.Contains("Core ML layer 0 'conv' (Convolution) pads by [1099511627776/1099511627776, 1099511627776/1099511627776]; expected paddings up to 4096.", ex.Message);
    }

    [Fact]
    public void Load_UpsampleByZero_IsAnErrorNotADivisionByZero()
    {
        var up = L("up", "image", "out", l => l.Upsample = new UpsampleLayerParams { ScalingFactor = { 0, 0 } });

        var ex = Fails<ModelFormatException>(Model(8, 3, 8, 8, up));

        Assert.Contains("Core ML layer 0 'up' (Upsample) has scaling factor [0,0]", ex.Message);
    }

    [Fact]
    public void Load_ReorganizeWithBlockZero_IsAnError()
    {
        var reorg = L("s2d", "image", "out", l => l.ReorganizeData = new ReorganizeDataLayerParams { BlockSize = 0 });

        Assert.Contains("'s2d' (ReorganizeData) has blockSize=0", Fails<ModelFormatException>(Model(8, 3, 8, 8, reorg)).Message);
    }

    [Fact]
    public void Load_SliceOutsideTheInput_IsAnError()
    {
        var slice = L("cut", "image", "out", l => l.Slice = new SliceLayerParams { StartIndex = 5, EndIndex = 9, Stride = 1 });

        Assert.Contains("'cut' (Slice) slices [5, 9) with stride 1 from 3", Fails<ModelFormatException>(Model(8, 3, 8, 8, slice)).Message);
    }

    [Fact]
    public void Load_ReshapeToNegativeShape_IsAnError()
    {
        var reshape = L("rs", "image", "out", l => l.Reshape = new ReshapeLayerParams { TargetShape = { -3, 8, -8 } });

        Assert.Contains("'rs' (Reshape) reshapes to [-3,8,-8]", Fails<ModelFormatException>(Model(8, 3, 8, 8, reshape)).Message);
    }

    [Fact]
    public void Load_LayerReadingAnUndefinedBlob_IsAnErrorBeforeRunning()
    {
        var ex = Fails<ModelFormatException>(Model(8, 3, 8, 8, Conv("nowhere", "out")));

        Assert.Contains("Core ML layer 0 'conv' (Convolution) reads blob 'nowhere', which neither the input nor an earlier layer produces.", ex.Message);
    }

    [Fact]
    public void Load_DeclaredOutputOfAnotherSize_IsAnError()
    {
        var ex = Fails<ModelFormatException>(Model(8, 3, 4, 4, Conv("image", "out")));

        Assert.Contains("output 'out' is declared 3x4x4 but its layers compute 3x8x8.", ex.Message);
    }

    [Fact]
    public void Load_HugeImageInput_IsAnError()
    {
        var ex = Fails<ModelFormatException>(Model(4_000_000_000, 3, 8, 8, Conv("image", "out")));

        Assert.Contains("the image input 'image' is 4000000000x4000000000; expected positive sides.", ex.Message);
    }

    [Fact]
    public void Load_PoolingThatWouldRunForMinutes_IsUnsupportedWithTheBudget()
    {
        var p = new PoolingLayerParams { Type = PoolingLayerParams.Types.PoolingType.Max, Valid = new ValidPadding { PaddingAmounts = new BorderAmounts() } };
        p.KernelSize.Add([4096, 4096]);
        p.Stride.Add([1, 1]);
        p.Valid.PaddingAmounts.BorderAmounts_.Add([new EdgeSizes { StartEdgeSize = 2048, EndEdgeSize = 2047 }, new EdgeSizes { StartEdgeSize = 2048, EndEdgeSize = 2047 }]);
        var pool = L("pool", "image", "out", l => l.Pooling = p);

        var ex = Fails<UnsupportedFeatureException>(Model(4096, 3, 4096, 4096, pool));

        Assert.Contains("Core ML layer 0 'pool' (Pooling) would take", ex.Message);
        Assert.Contains("the runtime allows 17,179,869,184 operations", ex.Message);
    }

    [Fact]
    public void Load_ImageSideThatWrapsToASmallInt_IsAnErrorNotAWrongSize()
    {
        var model = Model(8, 3, 8, 8, Conv("image", "out"));
        model.Description.Input[0].Type.ImageType.Width = (1L << 32) + 8;

        var ex = Fails<ModelFormatException>(model);

        Assert.Contains("the image input 'image' is 4294967304x8; expected positive sides.", ex.Message);
    }

    [Fact]
    public void Load_OutputSizeOutOfIntRange_IsAnError()
    {
        var model = Model(8, 3, 8, 8, Conv("image", "out"));
        model.Description.Output[0].Type.MultiArrayType.Shape[0] = (1L << 32) + 3;

        Assert.Contains("output 'out' is declared [4294967299,8,8]; expected positive sizes.", Fails<ModelFormatException>(model).Message);
    }

    [Fact]
    public void Load_ValidModel_Loads()
    {
        var runtime = CoreMLRuntime.Load(new MemoryStream(Model(8, 3, 4, 4, Conv("image", "out", stride: 2)).ToByteArray()), "m.mlmodel");

        Assert.Equal(8, runtime.Info.Width);
    }
}
