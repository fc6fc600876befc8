using PureHDF;
using Yolo4Convert.Graph;
using Yolo4Convert.Passes;

namespace Yolo4Convert.Keras;

/// <summary>What a Keras export produced.</summary>
public sealed record KerasWriteResult(int LayerCount, int WeightedLayerCount, IReadOnlyList<string> Outputs, IReadOnlyList<string> CustomClasses);

/// <summary>
/// Writes the intermediate Keras form: a Keras 2 (tf.keras 2.x) full-model HDF5 file, lowered from the same layer
/// graph as the Core ML writer. Root attributes keras_version, backend and model_config; group model_weights with
/// layer_names and one group per layer holding weight_names and the datasets "layer/layer/kernel:0" etc.
/// Written with PureHDF.
/// </summary>
public sealed class KerasH5Writer(KerasWriterOptions? options = null)
{
    private readonly KerasWriterOptions _options = options ?? new KerasWriterOptions();

    /// <summary>Lowers and writes the model to <paramref name="stream"/>.</summary>
    public KerasWriteResult Write(WeightedNetwork weighted, ShapedNetwork shaped, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(weighted);
        ArgumentNullException.ThrowIfNull(shaped);
        ArgumentNullException.ThrowIfNull(stream);
        var (layers, outputs) = new KerasLowering(weighted, shaped).Lower();
        var ordered = KerasTopology.Order(layers, outputs);
        var config = KerasModelConfig.Build(_options.ModelName, ordered, outputs, _options.KerasVersion);

        var nameAttributes = new List<string>();
        var weightsAttributes = Names("layer_names", ordered.Select(l => l.Name).ToList(), nameAttributes);
        weightsAttributes["backend"] = "tensorflow";
        weightsAttributes["keras_version"] = _options.KerasVersion;
        var weights = new H5Group { Attributes = weightsAttributes };
        foreach (var layer in ordered)
        {
            var group = new H5Group
            {
                Attributes = Names("weight_names", layer.Weights.Select(w => w.Name).ToList(), nameAttributes),
            };
            if (layer.Weights.Count > 0)
            {
                // Keras stores each weight under its full name: conv_005/kernel:0 inside the layer's group.
                var inner = new H5Group();
                foreach (var w in layer.Weights)
                {
                    inner[w.Name[(w.Name.IndexOf('/', StringComparison.Ordinal) + 1)..]] =
                        new H5Dataset(w.Data, fileDims: [.. w.Shape.Select(d => (ulong)d)]);
                }

                group[layer.Name] = inner;
            }

            weights[layer.Name] = group;
        }

        var file = new H5File
        {
            Attributes = new Dictionary<string, object>
            {
                ["keras_version"] = _options.KerasVersion,
                ["backend"] = "tensorflow",
                ["model_config"] = config,
            },
            ["model_weights"] = weights,
        };

        var payload = layers.Sum(l => l.Weights.Sum(w => 4L * w.Data.Length));
        using var buffer = new MemoryStream(checked((int)(payload + config.Length + (1 << 20))));
        file.Write(buffer);

        // The patch works on the buffer itself: the bytes past Length are zeros and never match a name.
        var bytes = buffer.GetBuffer();
        var expected = nameAttributes.Count;
        var patched = nameAttributes.Distinct().Sum(a => Hdf5FixedStrings.Patch(bytes, a));
        if (patched != expected)
        {
            throw new InvalidOperationException($"patched {patched} name attributes, expected {expected}");
        }

        stream.Write(bytes, 0, (int)buffer.Length);
        var custom = KerasLowering.CustomClasses.Where(c => ordered.Any(l => l.ClassName == c)).ToList();
        return new KerasWriteResult(ordered.Count, ordered.Count(l => l.Weights.Count > 0), outputs, custom);
    }

    // A name array as one attribute, or in Keras' numbered parts when it exceeds an object-header message.
    private static Dictionary<string, object> Names(string attribute, IReadOnlyList<string> names, List<string> written)
    {
        var size = Hdf5FixedStrings.ElementSize(names);
        var attributes = new Dictionary<string, object>();
        foreach (var (name, part) in KerasNameChunks.Split(attribute, names, size))
        {
            var (data, length) = Hdf5FixedStrings.Encode(part, size);
            attributes[name] = new H5Attribute(data, [(ulong)part.Count], new H5OpaqueInfo((uint)length, string.Empty));
            written.Add(name);
        }

        return attributes;
    }
}
