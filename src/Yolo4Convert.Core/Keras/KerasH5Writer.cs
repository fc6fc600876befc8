using PureHDF;
using PureHDF.Selections;
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

        var datasets = new List<(H5Dataset<float[]> Dataset, KerasWeight Weight)>();
        var weights = new H5Group
        {
            Attributes = new Dictionary<string, object>
            {
                ["layer_names"] = Names(ordered.Select(l => l.Name).ToList()),
                ["backend"] = "tensorflow",
                ["keras_version"] = _options.KerasVersion,
            },
        };
        foreach (var layer in ordered)
        {
            var group = new H5Group
            {
                Attributes = new Dictionary<string, object> { ["weight_names"] = Names(layer.Weights.Select(w => w.Name).ToList()) },
            };
            if (layer.Weights.Count > 0)
            {
                // Keras stores each weight under its full name: conv_005/kernel:0 inside the layer's group.
                // The datasets are declared here and their values written one at a time below.
                var inner = new H5Group();
                foreach (var w in layer.Weights)
                {
                    var dataset = new H5Dataset<float[]>(fileDims: [.. w.Shape.Select(d => (ulong)d)]);
                    inner[w.Name[(w.Name.IndexOf('/', StringComparison.Ordinal) + 1)..]] = dataset;
                    datasets.Add((dataset, w));
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

        // PureHDF writes a file from offset 0 of a readable, seekable stream; any other stream gets it through a buffer.
        if (stream.CanRead && stream.CanSeek && stream.Position == 0)
        {
            WriteStreaming(file, datasets, 1 + ordered.Count, stream);
        }
        else
        {
            using var buffer = new MemoryStream();
            WriteStreaming(file, datasets, 1 + ordered.Count, buffer);
            buffer.Position = 0;
            buffer.CopyTo(stream);
        }

        var custom = KerasLowering.CustomClasses.Where(c => ordered.Any(l => l.ClassName == c)).ToList();
        return new KerasWriteResult(ordered.Count, ordered.Count(l => l.Weights.Count > 0), outputs, custom);
    }

    // The structure first, then each dataset's values through one reused buffer, then the name arrays' patch.
    private static void WriteStreaming(H5File file, List<(H5Dataset<float[]> Dataset, KerasWeight Weight)> datasets, int nameAttributes, Stream stream)
    {
        var output = new Hdf5MetadataStream(stream);
        var buffer = new float[datasets.Select(d => d.Weight.Count).DefaultIfEmpty(0).Max()];
        using (var writer = file.BeginWrite(output))
        {
            foreach (var (dataset, weight) in datasets)
            {
                var count = weight.Count;
                weight.Fill(buffer);
                output.InPayload = true;
                writer.Write(dataset, buffer, memorySelection: new HyperslabSelection(0, (ulong)count));
                output.InPayload = false;
            }
        }

        var patched = Hdf5FixedStrings.Patch(stream, output.Metadata, "layer_names", "weight_names");
        if (patched != nameAttributes)
        {
            throw new InvalidOperationException($"patched {patched} name attributes, expected {nameAttributes}");
        }
    }

    private static H5Attribute Names(IReadOnlyList<string> names)
    {
        var (data, length) = Hdf5FixedStrings.Encode(names);
        return new H5Attribute(data, [(ulong)names.Count], new H5OpaqueInfo((uint)length, string.Empty));
    }
}
