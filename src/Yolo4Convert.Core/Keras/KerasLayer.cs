using System.Text.Json.Nodes;

namespace Yolo4Convert.Keras;

/// <summary>
/// One weight tensor of a Keras layer, e.g. "conv_005/kernel:0" with its HWIO shape. Its values are produced on
/// demand into the writer's buffer, one kernel tap (a [ky, kx, :, :] slice) at a time for a kernel, so no transposed
/// copy of the weights is ever held.
/// </summary>
internal sealed record KerasWeight(string Name, int[] Shape, KerasWeight.FillAction Fill)
{
    /// <summary>Writes the values of slice <c>part</c> (of <see cref="Parts"/>), in Keras' order, to the target.</summary>
    public delegate void FillAction(int part, Span<float> target);

    public KerasWeight(string name, int[] shape, float[] values)
        : this(name, shape, (_, target) => values.CopyTo(target))
    {
    }

    public int Count => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>A 4-D kernel comes in kh·kw slices [ky, kx, :, :]; anything else in one piece.</summary>
    public int Parts => Shape.Length == 4 ? Shape[0] * Shape[1] : 1;
}

/// <summary>
/// One layer of the functional model: its class, its config (without the name, added on emit), the layers whose
/// outputs it consumes (in call order) and its weights in Keras' order.
/// </summary>
internal sealed record KerasLayer(string Name, string ClassName, JsonObject Config, IReadOnlyList<string> Inbound, IReadOnlyList<KerasWeight> Weights);
