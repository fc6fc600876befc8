using CoreML.Specification;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Runtime.Ops;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Tests.Runtime.Ops;

/// <summary>The op registry covers every Core ML layer kind the writer emits, one op per kind.</summary>
public sealed class RuntimeOpsTests
{
    // Every zoo cfg, written with each mish lowering, raw heads and --nms: the layer kinds of all of them.
    private static SortedSet<Layer.LayerOneofCase> EmittedKinds()
    {
        var kinds = new SortedSet<Layer.LayerOneofCase>();
        foreach (var cfg in Directory.GetFiles(Path.GetDirectoryName(Fixtures.Shared("cfg/yolov4.cfg"))!, "*.cfg").Order(StringComparer.Ordinal))
        {
            var shaped = Fixtures.Cfg(Path.Combine("cfg", Path.GetFileName(cfg)));
            foreach (var mish in Enum.GetValues<MishLowering>())
            {
                var options = new CoreMLWriterOptions { Mish = mish };
                kinds.UnionWith(new CoreMLWriter(options).Layout(shaped).Layout.Model.NeuralNetwork.Layers.Select(l => l.LayerCase));
                var pipeline = new PipelineWriter(options).Layout(shaped).Layout.Model;
                kinds.UnionWith(pipeline.Pipeline.Models.Where(m => m.TypeCase == Model.TypeOneofCase.NeuralNetwork)
                    .SelectMany(m => m.NeuralNetwork.Layers).Select(l => l.LayerCase));
            }
        }

        return kinds;
    }

    [Fact]
    public void Registry_HasAnOpForEveryLayerKindTheWriterEmits()
    {
        var emitted = EmittedKinds();

        // The zoo exercises convolutions, pooling, upsampling, shortcuts, routes, mish and the --nms decoder.
        Assert.Contains(Layer.LayerOneofCase.Convolution, emitted);
        Assert.Contains(Layer.LayerOneofCase.Custom, emitted);
        Assert.Contains(Layer.LayerOneofCase.Permute, emitted);
        Assert.All(emitted, k => Assert.NotNull(RuntimeOps.Find(k)));
    }

    [Fact]
    public void Registry_EachOpRunsTheKindItIsFiledUnder()
    {
        // Our schema subset lists exactly the layers the runtime runs: a kind added to it needs an op.
        Assert.Equal(Enum.GetValues<Layer.LayerOneofCase>().Where(k => k != Layer.LayerOneofCase.None).Order(), RuntimeOps.Kinds);
        Assert.All(RuntimeOps.Kinds, k => Assert.Equal(k, RuntimeOps.Find(k)!.Kind));
    }
}
