using PureHDF;
using PureHDF.Selections;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;

namespace Yolo4Convert.Keras;

/// <summary>What a Keras export produced.</summary>
public sealed record KerasWriteResult(int LayerCount, int WeightedLayerCount, IReadOnlyList<string> Outputs, IReadOnlyList<string> CustomClasses);

/// <summary>
/// Writes the intermediate Keras form: a Keras 2 (tf.keras 2.x) full-model HDF5 file, lowered from the same layer
/// graph as the Core ML writer. Root attributes keras_version, backend and model_config; group model_weights with
/// layer_names and one group per layer holding weight_names and the datasets "layer/layer/kernel:0" etc.
/// Written with PureHDF, streamed: the weights are read from a <see cref="ConvWeightsSource"/> one convolution at a
/// time, and each large dataset goes to the file in one piece as soon as its kernel is transposed into one reused
/// buffer, so memory holds no whole-file buffer and no copy of the weights beyond the largest kernel.
/// </summary>
public sealed class KerasH5Writer(KerasWriterOptions? options = null)
{
    // PureHDF stores datasets under 32 KiB given with their values inside the object header (compact layout).
    private const int CompactBytes = 32768;

    private readonly KerasWriterOptions _options = options ?? new KerasWriterOptions();

    /// <summary>Lowers and writes the model, with weights already in memory, to <paramref name="stream"/>.</summary>
    public KerasWriteResult Write(WeightedNetwork weighted, ShapedNetwork shaped, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(weighted);
        return Write(shaped, ConvWeightsSource.From(weighted), stream);
    }

    /// <summary>
    /// Lowers and writes the model to <paramref name="stream"/>, reading each convolution's weights from
    /// <paramref name="weights"/> when its datasets are written (the per-filter values and the small kernels first,
    /// in file order; then each large kernel once, in the order of the file's datasets).
    /// </summary>
    public KerasWriteResult Write(ShapedNetwork shaped, ConvWeightsSource weights, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(shaped);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(stream);
        var (layers, outputs) = new KerasLowering(DarknetLowering.Lower(shaped)).Lower();
        var ordered = KerasTopology.Order(layers, outputs);
        var config = KerasModelConfig.Build(_options.ModelName, ordered, outputs, _options.KerasVersion);

        // A readable, seekable stream at offset 0 gets the file streamed: the large datasets are declared first and
        // their values written one at a time. Any other stream gets it the ordinary way, built whole in memory; both
        // give the same bytes.
        var streaming = stream.CanRead && stream.CanSeek && stream.Position == 0;
        bool Compact(KerasWeight w) => 4L * w.Count < CompactBytes;
        var values = new KerasWeightValues(weights);
        values.ReadUpFront(ordered.SelectMany(l => l.Weights), w => !streaming || Compact(w));
        var datasets = new List<(H5Dataset<float[]> Dataset, KerasWeight Weight)>();
        var nameAttributes = new List<string>();
        var groupAttributes = Names("layer_names", ordered.Select(l => l.Name).ToList(), nameAttributes);
        groupAttributes["backend"] = "tensorflow";
        groupAttributes["keras_version"] = _options.KerasVersion;
        var modelWeights = new H5Group { Attributes = groupAttributes };
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
                    if (!streaming || Compact(w))
                    {
                        inner[key] = new H5Dataset(values.Values(w), fileDims: dims);
                        continue;
                    }

                    var dataset = new H5Dataset<float[]>(fileDims: dims);
                    inner[key] = dataset;
                    datasets.Add((dataset, w));
                }

                group[layer.Name] = inner;
            }

            modelWeights[layer.Name] = group;
        }

        var file = new H5File
        {
            Attributes = new Dictionary<string, object>
            {
                ["keras_version"] = _options.KerasVersion,
                ["backend"] = "tensorflow",
                ["model_config"] = config,
            },
            ["model_weights"] = modelWeights,
        };

        if (streaming)
        {
            WriteStreaming(file, datasets, values, nameAttributes, stream);
        }
        else
        {
            WriteBuffered(file, nameAttributes, stream);
        }

        var custom = KerasLowering.CustomClasses.Where(c => ordered.Any(l => l.ClassName == c)).ToList();
        return new KerasWriteResult(ordered.Count, ordered.Count(l => l.Weights.Count > 0), outputs, custom);
    }

    // The structure first, then each dataset's values in one piece, then the name arrays' patch. The large kernels
    // are read and transposed on another thread meanwhile (KerasKernelQueue).
    private static void WriteStreaming(H5File file, List<(H5Dataset<float[]> Dataset, KerasWeight Weight)> datasets, KerasWeightValues values, List<string> nameAttributes, Stream stream)
    {
        var output = new Hdf5MetadataStream(stream);
        using (var kernels = new KerasKernelQueue([.. datasets.Select(d => d.Weight).Where(w => w.Kind == KerasWeightKind.Kernel)], values))
        using (var writer = file.BeginWrite(output))
        {
            foreach (var (dataset, weight) in datasets)
            {
                var kernel = weight.Kind == KerasWeightKind.Kernel;
                var (data, start) = kernel ? (kernels.Ring, kernels.Take()) : (values.Values(weight), 0);
                output.InPayload = true;
                writer.Write(dataset, data, new HyperslabSelection((ulong)start, (ulong)weight.Count));
                output.InPayload = false;
                if (kernel)
                {
                    kernels.Release();
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
