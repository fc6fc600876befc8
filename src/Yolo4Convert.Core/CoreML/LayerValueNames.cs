using System.Globalization;

namespace Yolo4Convert.CoreML;

/// <summary>
/// How the Core ML targets name what they compute after the Darknet layer it comes from: a NeuralNetwork layer is
/// "{layer:D3}_{role}" ("005_conv", "005_leaky"), an ML Program value "l{layer:D3}_{role}" ("l005_leaky"). The last
/// value a model computes under a layer's prefix is that layer's output after its activation; a pipeline's decoder
/// values ("{head:D3}_decode_…") belong to no layer's output. <c>verify --layers</c> pairs model values with the
/// Darknet reference's layers by these names.
/// </summary>
public static class LayerValueNames
{
    /// <summary>The role prefix of a pipeline's decoder values, which are no Darknet layer's output.</summary>
    public const string DecoderRole = "decode_";

    /// <summary>A NeuralNetwork layer's name: "005_conv".</summary>
    public static string NeuralNetwork(int layer, string role) => $"{layer:D3}_{role}";

    /// <summary>An ML Program value's name: "l005_conv".</summary>
    public static string MLProgram(int layer, string role) => $"l{layer:D3}_{role}";

    /// <summary>
    /// Reads a name of either form back into its Darknet layer and role; false for any other name (inputs, head
    /// outputs, constants, decoder values).
    /// </summary>
    public static bool TryParse(string name, out int layer, out string role)
    {
        ArgumentNullException.ThrowIfNull(name);
        (layer, role) = (-1, string.Empty);
        var start = name.StartsWith('l') ? 1 : 0;
        var end = start;
        while (end < name.Length && char.IsAsciiDigit(name[end]))
        {
            end++;
        }

        if (end - start < 3 || end + 1 >= name.Length || name[end] != '_'
            || !int.TryParse(name.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out layer))
        {
            layer = -1;
            return false;
        }

        role = name[(end + 1)..];
        if (role.StartsWith(DecoderRole, StringComparison.Ordinal))
        {
            (layer, role) = (-1, string.Empty);
            return false;
        }

        return true;
    }
}
