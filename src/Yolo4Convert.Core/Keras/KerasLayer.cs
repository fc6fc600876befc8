using System.Text.Json.Nodes;

namespace Yolo4Convert.Keras;

/// <summary>One weight tensor of a Keras layer, e.g. "conv_005/kernel:0" with its HWIO shape.</summary>
internal sealed record KerasWeight(string Name, int[] Shape, float[] Data);

/// <summary>
/// One layer of the functional model: its class, its config (without the name, added on emit), the layers whose
/// outputs it consumes (in call order) and its weights in Keras' order.
/// </summary>
internal sealed record KerasLayer(string Name, string ClassName, JsonObject Config, IReadOnlyList<string> Inbound, IReadOnlyList<KerasWeight> Weights);
