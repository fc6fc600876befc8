using System.Collections.Frozen;
using Yolo4Convert.Diagnostics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>
/// The registry of the Core ML layer kinds the runtime runs: one <see cref="IRuntimeOp"/> per
/// <see cref="Layer.LayerOneofCase"/>. The model check, the validator's shape rules and the run all look ops up here.
/// </summary>
internal static class RuntimeOps
{
    private static readonly FrozenDictionary<Layer.LayerOneofCase, IRuntimeOp> ByKind = new IRuntimeOp[]
    {
        new ConvolutionOp(), new PoolingOp(), new ActivationOp(), new SoftmaxOp(), new UpsampleOp(),
        new AddOp(), new MultiplyOp(), new MinOp(), new ReshapeOp(), new ConcatOp(), new ReorganizeDataOp(),
        new SliceOp(), new MishOp(), new PermuteOp(), new ScaleOp(), new UnaryOp(),
    }.ToFrozenDictionary(op => op.Kind);

    /// <summary>Every layer kind the runtime runs.</summary>
    public static IEnumerable<Layer.LayerOneofCase> Kinds => ByKind.Keys.Order();

    /// <summary>The op of a layer kind, or null when the runtime does not run it.</summary>
    public static IRuntimeOp? Find(Layer.LayerOneofCase kind) => ByKind.GetValueOrDefault(kind);

    /// <summary>The op of a checked layer.</summary>
    public static IRuntimeOp Of(Layer layer) => Find(layer.LayerCase) ?? throw new InvalidOperationException($"unchecked layer {layer.Name}");

    /// <summary>Whether <see cref="Check"/> accepts the layer.</summary>
    public static bool CanRun(Layer layer) => Problem(layer) is null && layer.Output.Count == 1 && layer.Input.Count > 0;

    /// <summary>Rejects, before running anything, a layer the runtime cannot evaluate exactly.</summary>
    public static void Check(Layer layer)
    {
        var problem = Problem(layer);
        if (problem is not null)
        {
            throw new UnsupportedFeatureException($"Core ML layer '{Echo.Of(layer.Name)}' is {problem}, which the runtime cannot run.", null,
                "the runtime runs the layer subset yolo4convert writes.");
        }

        if (layer.Output.Count != 1 || layer.Input.Count == 0)
        {
            throw new UnsupportedFeatureException($"Core ML layer '{Echo.Of(layer.Name)}' has {layer.Input.Count} inputs and {layer.Output.Count} outputs; the runtime expects one output.", null);
        }
    }

    private static string? Problem(Layer layer) =>
        layer.LayerCase == Layer.LayerOneofCase.None ? "a layer type the runtime does not know"
        : Find(layer.LayerCase) is { } op ? op.Problem(layer)
        : $"a '{layer.LayerCase}' layer";
}
