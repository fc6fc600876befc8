using CoreML.Specification;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Runtime.Ops;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime;

/// <summary>
/// Checks a loaded model before anything runs, by inferring every blob's shape with the runtime's own (Core ML)
/// formulas: every input defined, strides, kernels, block sizes and paddings in range, shapes consistent, feature
/// maps within .NET's array limit and each layer's work within a budget. A damaged or hostile .mlmodel thus fails
/// with one located line (exit 2) instead of a DivideByZero, an overflow or an index out of range mid-run.
/// The shape rules are the ops' (<see cref="IRuntimeOp.InferShape"/>, looked up in <see cref="RuntimeOps"/>); layer
/// kinds without an op are left to the runtime's checks, and blobs they produce are not followed.
/// </summary>
internal static class CoreMLModelValidator
{
    /// <summary>Kernel, stride, padding, dilation, block and scaling factors.</summary>
    public const ulong MaxWindow = 4096;

    /// <summary>Channels, output channels and groups.</summary>
    public const ulong MaxChannels = 65_536;

    /// <summary>Image input width and height.</summary>
    public const long MaxImageSide = 16_384;

    /// <summary>Elements of one blob: what a .NET float array holds.</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>Multiply-adds (convolution) or window cells (pooling) of one layer: 2^34, seconds to a minute on a small machine.</summary>
    public const long MaxWork = 1L << 34;

    /// <summary>Floats one layer holds at once (inputs, output, convolution columns): 2^27, 512 MiB.</summary>
    public const long MaxLayerFloats = 1L << 27;

    /// <summary>Validates the network and returns every blob's inferred shape (null where no rule follows it).</summary>
    public static IReadOnlyDictionary<string, TensorShape?> Validate(NeuralNetwork network, ModelInfo info, string fileName)
    {
        var where = new SourceLocation(fileName);
        if (info.Width < 1 || info.Height < 1 || info.Width > MaxImageSide || info.Height > MaxImageSide)
        {
            throw new ModelFormatException(
                $"the image input '{Echo.Of(info.InputName)}' is {info.Width}x{info.Height}; expected sides from 1 to {MaxImageSide:N0}.", where,
                "the file is damaged or not a model written by yolo4convert.");
        }

        var shapes = new Dictionary<string, TensorShape?>(StringComparer.Ordinal)
        {
            [info.InputName] = new TensorShape(info.Grayscale ? 1 : 3, info.Height, info.Width),
        };
        for (var i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            var inputs = new TensorShape?[layer.Input.Count];
            for (var k = 0; k < inputs.Length; k++)
            {
                if (!shapes.TryGetValue(layer.Input[k], out inputs[k]))
                {
                    throw LayerSite.InModel(layer, i, where).Bad($"reads blob '{Echo.Of(layer.Input[k])}', which neither the input nor an earlier layer produces");
                }
            }

            TensorShape? output = null;
            if (inputs.All(s => s is not null))
            {
                var known = inputs.Select(s => s!.Value).ToArray();
                var (shape, work, scratch) = Infer(layer, known, LayerSite.InModel(layer, i, where));
                if (shape is { } s)
                {
                    var floats = known.Sum(t => t.Count) + s.Count + scratch;
                    if (work > MaxWork || floats > MaxLayerFloats)
                    {
                        throw new UnsupportedFeatureException(
                            $"Core ML layer {i} '{Echo.Of(layer.Name)}' ({layer.LayerCase}) would take {work:N0} operations and {floats * 4:N0} bytes on {string.Join(", ", known)}; the runtime allows {MaxWork:N0} operations and {MaxLayerFloats * 4:N0} bytes per layer.",
                            where, "run a model converted at a smaller --size, or check that the file is not damaged.");
                    }
                }

                output = shape;
            }

            foreach (var name in layer.Output)
            {
                shapes[name] = output;
            }
        }

        foreach (var (name, declared) in info.Outputs)
        {
            if (declared.C < 1 || declared.H < 1 || declared.W < 1 || declared.Count > MaxElements)
            {
                throw new ModelFormatException($"output '{Echo.Of(name)}' is declared {declared}; expected a positive C×H×W shape.", where);
            }

            if (!shapes.TryGetValue(name, out var computed))
            {
                throw new ModelFormatException($"the model declares output '{Echo.Of(name)}', but no layer produces it.", where,
                    "the file is damaged or not a model written by yolo4convert.");
            }

            if (computed is { } c && c.Count != declared.Count)
            {
                throw new ModelFormatException($"output '{Echo.Of(name)}' is declared {declared} but its layers compute {c}.", where,
                    "the file is damaged or not a model written by yolo4convert.");
            }
        }

        return shapes;
    }

    // The op's shape rule; a layer kind without an op produces a blob that is not followed.
    private static (TensorShape? Shape, long Work, long Scratch) Infer(Layer layer, TensorShape[] x, LayerSite site)
    {
        if (x.Length == 0)
        {
            throw site.Bad("has no input");
        }

        if (RuntimeOps.Find(layer.LayerCase) is not { } op)
        {
            return (null, 0, 0);
        }

        var (shape, work, scratch) = op.InferShape(layer, x, site);
        return (shape, work, scratch);
    }
}
