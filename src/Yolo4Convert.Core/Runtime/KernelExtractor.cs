using CoreML.Specification;
using Yolo4Convert.Runtime.Ops;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Runtime;

/// <summary>
/// Takes the convolution weights out of the layers of a model being read (<see cref="ModelStreamReader"/>) into the
/// kernels' layout, and lets the message's copies go, so that a loaded model holds its weights once.
/// </summary>
internal sealed class KernelExtractor
{
    private readonly Dictionary<NeuralNetworkLayer, ConvKernel> _taken = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<NeuralNetworkLayer, WeightFormat?> _formats = new(ReferenceEqualityComparer.Instance);
    private long _dropped;

    /// <summary>Called for each layer as it is read: takes the weights of a convolution the runtime can run.</summary>
    public void Take(NeuralNetworkLayer layer)
    {
        if (layer.LayerCase == NeuralNetworkLayer.LayerOneofCase.Convolution && RuntimeOps.CanRun(layer))
        {
            _taken[layer] = Extract(layer);
        }
    }

    /// <summary>The stored format of a convolution's weights, also once they are taken (null when it has none).</summary>
    public WeightFormat? FormatOf(NeuralNetworkLayer layer) =>
        _formats.TryGetValue(layer, out var format) ? format : Stored(layer.Convolution.Weights);

    /// <summary>Checks a layer of the loaded model and returns its kernel (null for layers without weights).</summary>
    public ConvKernel? KernelOf(NeuralNetworkLayer layer)
    {
        if (_taken.Remove(layer, out var kernel))
        {
            return kernel;
        }

        RuntimeOps.Check(layer);
        return layer.LayerCase == NeuralNetworkLayer.LayerOneofCase.Convolution ? Extract(layer) : null;
    }

    private ConvKernel Extract(NeuralNetworkLayer layer)
    {
        var p = layer.Convolution;
        _formats[layer] = Stored(p.Weights);
        _dropped += p.Weights.CalculateSize() / 4;
        var kernel = ConvKernel.Take(p);

        // The dropped arrays are garbage the collector would only find much later; collecting every 64 MB keeps
        // the load's peak near one copy of the weights.
        if (_dropped > 1 << 24)
        {
            GC.Collect();
            _dropped = 0;
        }

        return kernel;
    }

    private static WeightFormat? Stored(WeightParams? w) => w is null ? null : WeightFormat.Of(w);
}
