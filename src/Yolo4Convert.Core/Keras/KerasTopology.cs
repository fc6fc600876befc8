namespace Yolo4Convert.Keras;

/// <summary>
/// The order in which Keras 2 lists the layers of a functional model it rebuilds from its config
/// (Functional._map_graph_network): a depth-first walk from the outputs numbers the layers; each layer's depth is
/// its longest distance to an output; layers are sorted by decreasing depth, ties by that numbering. Layers that
/// reach no output are left out, as Keras leaves them out.
/// load_model pairs the weight groups of the file with this order, so the file must use it too.
/// </summary>
internal static class KerasTopology
{
    public static List<KerasLayer> Order(IReadOnlyList<KerasLayer> layers, IReadOnlyList<string> outputs)
    {
        var byName = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var discovery = new Dictionary<string, int>(StringComparer.Ordinal);
        var postOrder = new List<string>();
        var finished = new HashSet<string>(StringComparer.Ordinal);

        // _build_map_helper, iteratively: number a layer when first reached, emit it after all its inputs.
        foreach (var output in outputs)
        {
            var stack = new Stack<(string Name, int Next)>();
            if (finished.Contains(output))
            {
                continue;
            }

            discovery.TryAdd(output, discovery.Count);
            stack.Push((output, 0));
            while (stack.Count > 0)
            {
                var (name, next) = stack.Pop();
                var inbound = byName[name].Inbound;
                if (next < inbound.Count)
                {
                    stack.Push((name, next + 1));
                    var parent = inbound[next];
                    if (!finished.Contains(parent))
                    {
                        discovery.TryAdd(parent, discovery.Count);
                        stack.Push((parent, 0));
                    }

                    continue;
                }

                if (finished.Add(name))
                {
                    postOrder.Add(name);
                }
            }
        }

        // Depths, walking the reversed post-order (outputs first).
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = postOrder.Count - 1; i >= 0; i--)
        {
            var name = postOrder[i];
            var d = depth.GetValueOrDefault(name, 0);
            depth[name] = d;
            foreach (var parent in byName[name].Inbound)
            {
                depth[parent] = Math.Max(d + 1, depth.GetValueOrDefault(parent, 0));
            }
        }

        // Layers that feed no output are not part of the rebuilt model; Keras drops them too.
        return [.. layers.Where(l => depth.ContainsKey(l.Name)).OrderByDescending(l => depth[l.Name]).ThenBy(l => discovery[l.Name])];
    }
}
