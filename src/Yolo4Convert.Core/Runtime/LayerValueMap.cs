using System.Collections.Immutable;
using Yolo4Convert.CoreML;

namespace Yolo4Convert.Runtime;

/// <summary>One value a model computes: the layer or operation that computes it, and the value's name.</summary>
/// <param name="Producer">The NeuralNetwork layer's name, or the ML Program value's name.</param>
/// <param name="Value">The blob or value the producer writes (a head's output name when the producer computes a head).</param>
public sealed record ComputedValue(string Producer, string Value);

/// <summary>
/// Which model value stands for which Darknet layer's output (after its activation): of the values whose producer
/// is named after layer L (<see cref="LayerValueNames"/>), the last one the model computes. A Darknet layer that
/// computes nothing of its own in the model (a route of one layer, a detection head) has no value.
/// </summary>
public sealed class LayerValueMap
{
    private readonly ImmutableDictionary<string, int> _layerOf;

    private LayerValueMap(ImmutableSortedDictionary<int, string> values)
    {
        Values = values;
        _layerOf = values.ToImmutableDictionary(v => v.Value, v => v.Key, StringComparer.Ordinal);
    }

    /// <summary>Darknet layer index → the name of the model value holding its output, in layer order.</summary>
    public ImmutableSortedDictionary<int, string> Values { get; }

    /// <summary>Maps the values of a model, given in the order it computes them.</summary>
    public static LayerValueMap Of(IEnumerable<ComputedValue> computed)
    {
        ArgumentNullException.ThrowIfNull(computed);
        var last = new Dictionary<int, string>();
        foreach (var (producer, value) in computed)
        {
            if (LayerValueNames.TryParse(producer, out var layer, out _))
            {
                last[layer] = value;
            }
        }

        return new LayerValueMap(last.ToImmutableSortedDictionary());
    }

    /// <summary>The Darknet layer whose output the value named <paramref name="value"/> is, if it is one.</summary>
    public bool TryGetLayer(string value, out int layer) => _layerOf.TryGetValue(value, out layer);
}
