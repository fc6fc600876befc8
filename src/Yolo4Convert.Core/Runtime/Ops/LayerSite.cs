using Yolo4Convert.Diagnostics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>
/// Where a layer is, for the errors of the shape rules: the validator's sites name the layer's index, kind and file
/// (a damaged model, exit 2); a run's site reports a layer that reached evaluation unchecked (an internal error).
/// </summary>
internal sealed class LayerSite
{
    private readonly Func<string, Exception> _fail;

    private LayerSite(Func<string, Exception> fail) => _fail = fail;

    /// <summary>A layer of a model being validated: "Core ML layer 3 'conv' (Convolution) has …" and the hint.</summary>
    public static LayerSite InModel(Layer layer, int index, SourceLocation where) => new(what =>
        new ModelFormatException($"Core ML layer {index} '{Echo.Of(layer.Name)}' ({layer.LayerCase}) {what}.", where,
            "the file is damaged or not a model written by yolo4convert; convert the model again."));

    /// <summary>A layer being run, which the validator has already accepted: a failure here is a bug.</summary>
    public static LayerSite InRun(Layer layer) => new(what =>
        new InvalidOperationException($"Core ML layer '{layer.Name}' ({layer.LayerCase}) {what}, but it was validated before the run."));

    /// <summary>The exception for a rule the layer breaks; callers throw it.</summary>
    public Exception Bad(string what) => _fail(what);
}
