using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Layer = CoreML.Specification.NeuralNetworkLayer;

namespace Yolo4Convert.Runtime.Ops;

/// <summary>
/// One Core ML NeuralNetwork layer kind the runtime executes: what of it the runtime cannot run exactly, its shape
/// rule (checked before anything runs) and its evaluation, side by side. Instances are stateless and shared.
/// </summary>
internal interface IRuntimeOp
{
    /// <summary>The layer kind this op runs.</summary>
    Layer.LayerOneofCase Kind { get; }

    /// <summary>What makes the layer one the runtime cannot run exactly ("a deconvolution"), or null.</summary>
    string? Problem(Layer layer);

    /// <summary>
    /// The output shape for inputs of the given shapes, with the layer's work (multiply-adds or cells visited) and the
    /// scratch floats it holds besides its inputs and output; malformed parameters fail through <paramref name="site"/>.
    /// </summary>
    InferredShape InferShape(Layer layer, TensorShape[] inputs, LayerSite site);

    /// <summary>Evaluates a checked layer; the output comes from the run's pool (<see cref="RunContext.Output"/>).</summary>
    Tensor Run(Layer layer, Tensor[] inputs, RunContext context);
}

/// <summary>A layer's output shape, its work and the scratch floats it needs (see <see cref="IRuntimeOp.InferShape"/>).</summary>
internal readonly record struct InferredShape(TensorShape Shape, long Work, long Scratch);
