using System.Text.Json.Nodes;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Keras;

/// <summary>Which of a convolution's stored values a Keras weight holds.</summary>
internal enum KerasWeightKind
{
    /// <summary>The kernel, Darknet's OIHW transposed to HWIO (a depthwise kernel as [kh, kw, C, 1]).</summary>
    Kernel,

    /// <summary>Darknet's biases: the Conv2D bias, or the BatchNormalization beta.</summary>
    Biases,

    /// <summary>The batch-norm scales (gamma).</summary>
    Scales,

    /// <summary>The batch-norm rolling mean.</summary>
    Mean,

    /// <summary>The batch-norm rolling variance.</summary>
    Variance,
}

/// <summary>
/// One weight tensor of a Keras layer, e.g. "conv_005/kernel:0" with its HWIO shape: a reference to the convolution
/// whose values it holds, not the values themselves, so the writer reads them from the weights source only when the
/// dataset is written (<see cref="KerasWeightValues"/>).
/// </summary>
internal sealed record KerasWeight(string Name, int[] Shape, ConvolutionalLayer Layer, KerasWeightKind Kind)
{
    public int Count => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// One layer of the functional model: its class, its config (without the name, added on emit), the layers whose
/// outputs it consumes (in call order) and its weights in Keras' order.
/// </summary>
internal sealed record KerasLayer(string Name, string ClassName, JsonObject Config, IReadOnlyList<string> Inbound, IReadOnlyList<KerasWeight> Weights);
