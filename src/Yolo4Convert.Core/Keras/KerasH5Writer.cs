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
/// Written with PureHDF, streamed: each large dataset goes to the file as it is transposed, one kernel tap at a time
/// through one reused buffer, so memory holds no whole-file buffer and no transposed copy of the weights.
/// </summary>
public sealed class KerasH5Writer(KerasWriterOptions? options = null)
{
    // PureHDF stores datasets under 32 KiB given with their values inside the object header (compact layout).
    private const int CompactBytes = 32768;

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

        // A readable, seekable stream at offset 0 gets the file streamed: the large datasets are declared first and
        // their values written one at a time. Any other stream gets it the ordinary way, built whole in memory; both
        // give the same bytes.
        var streaming = stream.CanRead && stream.CanSeek && stream.Position == 0;
        var datasets = new List<(H5Dataset<float[]> Dataset, KerasWeight Weight)>();
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
                // Small weights go in with their values (PureHDF stores them inside the object header).
                var inner = new H5Group();
                foreach (var w in layer.Weights)
                {
                    var dims = w.Shape.Select(d => (ulong)d).ToArray();
                    var key = w.Name[(w.Name.IndexOf('/', StringComparison.Ordinal) + 1)..];
                    if (!streaming || 4L * w.Count < CompactBytes)
                    {
                        inner[key] = new H5Dataset(Values(w), fileDims: dims);
                        continue;
                    }

                    var dataset = new H5Dataset<float[]>(fileDims: dims);
                    inner[key] = dataset;
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

        if (streaming)
        {
            WriteStreaming(file, datasets, nameAttributes, stream);
        }
        else
        {
            WriteBuffered(file, nameAttributes, stream);
        }

        var custom = KerasLowering.CustomClasses.Where(c => ordered.Any(l => l.ClassName == c)).ToList();
        return new KerasWriteResult(ordered.Count, ordered.Count(l => l.Weights.Count > 0), outputs, custom);
    }

    // The structure first, then each dataset's values through one reused buffer, then the name arrays' patch.
    private static void WriteStreaming(H5File file, List<(H5Dataset<float[]> Dataset, KerasWeight Weight)> datasets, List<string> nameAttributes, Stream stream)
    {
        var output = new Hdf5MetadataStream(stream);
        var buffer = new float[datasets.Select(d => d.Weight.Count / d.Weight.Parts).DefaultIfEmpty(0).Max()];
        using (var writer = file.BeginWrite(output))
        {
            foreach (var (dataset, weight) in datasets)
            {
                var size = weight.Count / weight.Parts;
                var memory = new HyperslabSelection(0, (ulong)size);
                for (var part = 0; part < weight.Parts; part++)
                {
                    weight.Fill(part, buffer);
                    output.InPayload = true;
                    writer.Write(dataset, buffer, memory, weight.Parts == 1 ? null : Slice(weight.Shape, part));
                    output.InPayload = false;
                }
            }
        }

        var patched = Hdf5FixedStrings.Patch(stream, output.Metadata, [.. nameAttributes.Distinct()]);
        if (patched != nameAttributes.Count)
        {
            throw new InvalidOperationException($"patched {patched} name attributes, expected {nameAttributes.Count}");
        }
    }

    private static void WriteBuffered(H5File file, List<string> nameAttributes, Stream stream)
    {
        using var buffer = new MemoryStream();
        file.Write(buffer);

        // The patch works on the buffer itself: the bytes past Length are zeros and never match a name.
        var bytes = buffer.GetBuffer();
        var patched = nameAttributes.Distinct().Sum(a => Hdf5FixedStrings.Patch(bytes, a));
        if (patched != nameAttributes.Count)
        {
            throw new InvalidOperationException($"patched {patched} name attributes, expected {nameAttributes.Count}");
        }

        stream.Write(bytes, 0, (int)buffer.Length);
    }

    private static float[] Values(KerasWeight weight)
    {
        var values = new float[weight.Count];
        var part = weight.Count / weight.Parts;
        for (var p = 0; p < weight.Parts; p++)
        {
            weight.Fill(p, values.AsSpan(p * part, part));
        }

        return values;
    }

    // The [ky, kx, :, :] slice of an HWIO kernel.
    private static HyperslabSelection Slice(int[] shape, int part) => new(
        4, [(ulong)(part / shape[1]), (ulong)(part % shape[1]), 0, 0], [1, 1, (ulong)shape[2], (ulong)shape[3]]);

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
