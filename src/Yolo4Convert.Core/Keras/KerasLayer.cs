using System.Text.Json.Nodes;

namespace Yolo4Convert.Keras;

/// <summary>
/// One weight tensor of a Keras layer, e.g. "conv_005/kernel:0" with its HWIO shape. Its values are produced on
/// demand into the writer's buffer (a kernel is transposed from Darknet's layout then), so no more than one layer's
/// transposed copy ever exists.
/// </summary>
internal sealed record KerasWeight(string Name, int[] Shape, KerasWeight.FillAction Fill)
{
    /// <summary>Writes the values, in Keras' order, to the first <see cref="Count"/> floats of the target.</summary>
    public delegate void FillAction(Span<float> target);

    public KerasWeight(string name, int[] shape, float[] values)
        : this(name, shape, target => values.CopyTo(target))
    {
    }

    public int Count => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// One layer of the functional model: its class, its config (without the name, added on emit), the layers whose
/// outputs it consumes (in call order) and its weights in Keras' order.
/// </summary>
internal sealed record KerasLayer(string Name, string ClassName, JsonObject Config, IReadOnlyList<string> Inbound, IReadOnlyList<KerasWeight> Weights);
