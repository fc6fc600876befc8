using CoreML.Specification;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime.Ops;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Tests.Runtime.Ops;

/// <summary>Ops take their outputs from the pool of the run they are given, and write all of it.</summary>
public sealed class RunContextTests
{
    private static readonly Tensor Input = new(new TensorShape(2, 4, 4), [.. Enumerable.Range(0, 32).Select(i => (float)((i * 7) % 11) - 5)]);

    private static readonly string[] Kinds = ["maxpool", "upsample", "softmax", "add", "concat", "slice", "leaky", "reshape"];

    public static TheoryData<string> Layers => [.. Kinds];

    private static Layer Make(string kind) => kind switch
    {
        "maxpool" => new Layer { Pooling = new PoolingLayerParams { Type = PoolingLayerParams.Types.PoolingType.Max, KernelSize = { 2, 2 }, Stride = { 2, 2 }, Valid = new ValidPadding() } },
        "upsample" => new Layer { Upsample = new UpsampleLayerParams { ScalingFactor = { 2, 2 } } },
        "softmax" => new Layer { Softmax = new SoftmaxLayerParams() },
        "add" => new Layer { Add = new AddLayerParams() },
        "concat" => new Layer { Concat = new ConcatLayerParams() },
        "slice" => new Layer { Slice = new SliceLayerParams { Axis = SliceLayerParams.Types.SliceAxis.HeightAxis, StartIndex = 1, EndIndex = 4, Stride = 2 } },
        "leaky" => new Layer { Activation = new ActivationParams { LeakyReLU = new ActivationLeakyReLU { Alpha = 0.1f } } },
        _ => new Layer { Reshape = new ReshapeLayerParams { TargetShape = { 4, 2, 4 } } },
    };

    private static Tensor[] InputsOf(Layer layer) => layer.LayerCase is Layer.LayerOneofCase.Add or Layer.LayerOneofCase.Concat ? [Input, Input] : [Input];

    [Theory]
    [MemberData(nameof(Layers))]
    public void Run_OutputIsTheRunsPooledBuffer_FullyWritten(string kind)
    {
        var layer = Make(kind);
        var op = RuntimeOps.Of(layer);
        var inputs = InputsOf(layer);
        var expected = op.Run(layer, inputs, new RunContext(new TensorPool(), new Dictionary<Layer, ConvKernel>()));

        // A pool whose only buffer of that size is poisoned with NaN: the op must take it and overwrite every value.
        var pool = new TensorPool();
        var poisoned = Enumerable.Repeat(float.NaN, (int)expected.Shape.Count).ToArray();
        pool.Return(poisoned);
        var y = op.Run(layer, inputs, new RunContext(pool, new Dictionary<Layer, ConvKernel>()));

        Assert.Same(poisoned, y.Data);
        Assert.Equal(expected.Shape, y.Shape);
        Assert.Equal(expected.Data, y.Data);
    }

    [Fact]
    public void InferShape_AgreesWithTheShapeTheRunProduces()
    {
        var site = LayerSite.InRun(new Layer());
        foreach (var kind in Kinds)
        {
            var layer = Make(kind);
            var inputs = InputsOf(layer);
            var inferred = RuntimeOps.Of(layer).InferShape(layer, [.. inputs.Select(t => t.Shape)], site);
            var y = RuntimeOps.Of(layer).Run(layer, inputs, new RunContext(new TensorPool(), new Dictionary<Layer, ConvKernel>()));
            Assert.Equal(inferred.Shape, y.Shape);
        }
    }
}
