using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Yolo4Convert.Keras;

/// <summary>The functional-model JSON of a Keras 2 full-model save (the root attribute "model_config").</summary>
internal static class KerasModelConfig
{
    private static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Build(string modelName, IReadOnlyList<KerasLayer> ordered, IReadOnlyList<string> outputs, string kerasVersion)
    {
        var layers = new JsonArray();
        foreach (var layer in ordered)
        {
            var config = new JsonObject { ["name"] = layer.Name };
            foreach (var (key, value) in layer.Config)
            {
                config[key] = value?.DeepClone();
            }

            // Every Add takes a JsonNode: the generic Add<T> would wrap values by reflection (not trim-safe).
            var inbound = new JsonArray();
            if (layer.Inbound.Count > 0)
            {
                inbound.Add((JsonNode)new JsonArray([.. layer.Inbound.Select(name => (JsonNode)new JsonArray(name, 0, 0, new JsonObject()))]));
            }

            layers.Add((JsonNode)new JsonObject
            {
                ["class_name"] = layer.ClassName,
                ["config"] = config,
                ["name"] = layer.Name,
                ["inbound_nodes"] = inbound,
            });
        }

        var root = new JsonObject
        {
            ["class_name"] = "Functional",
            ["config"] = new JsonObject
            {
                ["name"] = modelName,
                ["layers"] = layers,
                ["input_layers"] = new JsonArray(new JsonArray(KerasLowering.InputName, 0, 0)),
                ["output_layers"] = new JsonArray([.. outputs.Select(o => (JsonNode)new JsonArray(o, 0, 0))]),
            },
            ["keras_version"] = kerasVersion,
            ["backend"] = "tensorflow",
        };

        // JSON numbers only: every value written here is finite, so no NaN/Infinity literal can appear.
        return root.ToJsonString(Compact);
    }
}
