using System.Collections.Immutable;
using System.Text.Json;
using PureHDF;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Inspection;

/// <summary>
/// Describes a Keras 2 full-model .h5 (as KerasH5Writer and tf.keras write it): the root attributes keras_version,
/// backend and model_config (layers, input shape, outputs), and the datasets under model_weights, by size only.
/// </summary>
internal static class KerasInspector
{
    public static ModelInspection Inspect(InputFile input)
    {
        var fileName = input.Name;
        try
        {
            var stream = input.Open();
            var length = stream.Length;
            using var file = H5File.Open(new FixedStringAttributeView(stream), leaveOpen: false);
            var config = Attribute(file, "model_config")
                ?? throw new ModelFormatException("the HDF5 file has no 'model_config' attribute; expected a Keras full-model .h5.",
                    new SourceLocation(fileName), "pass an .h5 written by yolo4convert or Keras' model.save().");
            using var json = JsonDocument.Parse(config);
            var model = json.RootElement.GetProperty("config");
            var layers = model.GetProperty("layers").EnumerateArray().ToList();
            var inputs = layers.Where(l => Str(l, "class_name") == "InputLayer").Select(l =>
            {
                var c = l.GetProperty("config");
                var shape = c.TryGetProperty("batch_input_shape", out var s) || c.TryGetProperty("batch_shape", out s)
                    ? s.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number ? d.GetInt64() : (long?)null).ToList()
                    : [];
                return new ModelFeature(Str(c, "name") ?? string.Empty, "tensor", null, null, null, Str(c, "dtype"), shape, null, false, string.Empty);
            }).ToList();
            var classes = layers.ToDictionary(l => Str(l, "name") ?? string.Empty, l => Str(l, "class_name") ?? string.Empty);
            var outputs = model.TryGetProperty("output_layers", out var o)
                ? o.EnumerateArray().Select(e => e[0].GetString() ?? string.Empty)
                    .Select(n => new ModelFeature(n, "tensor", null, null, null, null, [], null, false, classes.GetValueOrDefault(n, string.Empty))).ToList()
                : [];
            var weights = new Dictionary<string, (int Tensors, long Values, long Bytes)>(StringComparer.Ordinal);
            if (file.LinkExists("model_weights"))
            {
                Tally(file.Group("model_weights"), weights);
            }

            var groups = weights.Select(w => new WeightGroup("weights", w.Key, w.Value.Tensors, w.Value.Values, w.Value.Bytes))
                .OrderByDescending(g => g.Bytes).ThenBy(g => g.Format, StringComparer.Ordinal).ToList();
            return new ModelInspection(
                fileName, "keras", $"Keras 2 HDF5 ({Str(json.RootElement, "class_name") ?? "model"} '{Str(model, "name")}')", length,
                null, null, inputs, outputs,
                new ModelStrings(null, null, null, null, Attribute(file, "keras_version"), Attribute(file, "backend")),
                null, null, layers.Count,
                [.. layers.GroupBy(l => Str(l, "class_name") ?? "?").Select(g => new LayerTypeCount(g.Key, g.Count()))
                    .OrderByDescending(c => c.Count).ThenBy(c => c.Type, StringComparer.Ordinal)],
                [], groups, groups.Sum(g => g.Bytes), ImmutableSortedDictionary<string, string>.Empty);
        }
        catch (Exception ex) when (ex is not (Yolo4ConvertException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException))
        {
            throw new ModelFormatException($"the file is not a readable Keras .h5 ({ex.Message.TrimEnd('.')}).", new SourceLocation(fileName),
                "the file is damaged or truncated; convert the model again.");
        }
    }

    private static void Tally(IH5Group group, Dictionary<string, (int Tensors, long Values, long Bytes)> weights)
    {
        foreach (var child in group.Children())
        {
            switch (child)
            {
                case IH5Group inner:
                    Tally(inner, weights);
                    break;
                case IH5Dataset dataset:
                    var values = dataset.Space.Dimensions.Aggregate(1L, (a, d) => a * (long)d);
                    var type = dataset.Type;
                    var name = type.Class switch
                    {
                        H5DataTypeClass.FloatingPoint => $"float{8 * type.Size}",
                        H5DataTypeClass.FixedPoint => $"int{8 * type.Size}",
                        _ => type.Class.ToString(),
                    };
                    var (tensors, sum, bytes) = weights.GetValueOrDefault(name);
                    weights[name] = (tensors + 1, sum + values, bytes + (values * type.Size));
                    break;
            }
        }
    }

    private static string? Attribute(IH5Object o, string name) => o.AttributeExists(name) ? o.Attribute(name).Read<string>() : null;

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
