using CoreML.Specification;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Inspection;

/// <summary>
/// Counts a Core ML network's stored weights by role and format from the message's sizes, without decoding a
/// value; <see cref="Drop"/> then lets a layer's weight arrays go, so that inspecting a large model holds none of them.
/// </summary>
internal sealed class CoreMLWeightTally
{
    private readonly Dictionary<(string Role, string Format), (int Tensors, long Values, long Bytes)> _groups = [];

    /// <summary>Adds the weights of one layer.</summary>
    public void Add(NeuralNetworkLayer layer)
    {
        switch (layer.LayerCase)
        {
            case NeuralNetworkLayer.LayerOneofCase.Convolution:
                var c = layer.Convolution;
                var kernel = (long)c.OutputChannels * (long)c.KernelChannels * c.KernelSize.Aggregate(1L, (a, k) => a * (long)k);
                Add("kernels", c.Weights, kernel);
                Add("other", c.Bias, null);
                break;
            case NeuralNetworkLayer.LayerOneofCase.Scale:
                Add("other", layer.Scale.Scale, null);
                Add("other", layer.Scale.Bias, null);
                break;
            case NeuralNetworkLayer.LayerOneofCase.Custom:
                foreach (var w in layer.Custom.Weights)
                {
                    Add("other", w, null);
                }

                break;
        }
    }

    /// <summary>Drops the weight arrays of a layer already added.</summary>
    public static void Drop(NeuralNetworkLayer layer)
    {
        switch (layer.LayerCase)
        {
            case NeuralNetworkLayer.LayerOneofCase.Convolution:
                layer.Convolution.Weights = null;
                layer.Convolution.Bias = null;
                break;
            case NeuralNetworkLayer.LayerOneofCase.Custom:
                layer.Custom.Weights.Clear();
                break;
        }
    }

    /// <summary>The groups: kernels before other weights, then the larger first.</summary>
    public IReadOnlyList<WeightGroup> Groups() =>
        [.. _groups.Select(g => new WeightGroup(g.Key.Role, g.Key.Format, g.Value.Tensors, g.Value.Values, g.Value.Bytes))
            .OrderBy(g => g.Role == "kernels" ? 0 : 1).ThenByDescending(g => g.Bytes).ThenBy(g => g.Format, StringComparer.Ordinal)];

    /// <summary>The stored format in the converter's words (<see cref="WeightFormat.Name"/>), "unknown" for bits out of range.</summary>
    public static string FormatOf(WeightParams w) => WeightFormat.Of(w)?.Name ?? "unknown";

    private void Add(string role, WeightParams? w, long? count)
    {
        if (w is null || (w.FloatValue.Count == 0 && w.Float16Value.Length == 0 && w.RawValue.Length == 0))
        {
            return;
        }

        var format = FormatOf(w);
        var values = count ?? (w.FloatValue.Count > 0 ? w.FloatValue.Count
            : w.Float16Value.Length > 0 ? w.Float16Value.Length / 2
            : w.RawValue.Length * 8L / Math.Max(1L, (long)(w.Quantization?.NumberOfBits ?? 8)));
        var (tensors, sum, bytes) = _groups.GetValueOrDefault((role, format));
        _groups[(role, format)] = (tensors + 1, sum + values, bytes + w.CalculateSize());
    }
}
