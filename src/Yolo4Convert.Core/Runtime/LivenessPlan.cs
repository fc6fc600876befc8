using System.Collections.Immutable;
using CoreML.Specification;

namespace Yolo4Convert.Runtime;

/// <summary>
/// When each blob of a network dies: computed once per model from the layer list, it names for every layer the
/// blobs nobody reads after it, so a run keeps only live intermediates (and the model's outputs) in memory.
/// </summary>
internal sealed class LivenessPlan
{
    private LivenessPlan(ImmutableArray<ImmutableArray<string>> releaseAfter) => ReleaseAfter = releaseAfter;

    /// <summary>For layer i, the blobs whose last reader is layer i (never an output of the model).</summary>
    public ImmutableArray<ImmutableArray<string>> ReleaseAfter { get; }

    public static LivenessPlan For(IReadOnlyList<NeuralNetworkLayer> layers, IEnumerable<string> outputs)
    {
        var keep = outputs.ToHashSet(StringComparer.Ordinal);
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < layers.Count; i++)
        {
            foreach (var name in layers[i].Input)
            {
                lastUse[name] = i;
            }

            // A blob nobody reads dies right after the layer that writes it.
            foreach (var name in layers[i].Output)
            {
                lastUse.TryAdd(name, i);
            }
        }

        var release = new List<string>[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            release[i] = [];
        }

        foreach (var (name, layer) in lastUse)
        {
            if (!keep.Contains(name))
            {
                release[layer].Add(name);
            }
        }

        return new LivenessPlan([.. release.Select(r => r.Order(StringComparer.Ordinal).ToImmutableArray())]);
    }
}
