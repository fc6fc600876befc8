using System.Globalization;
using System.Text;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Inspection;

namespace Yolo4Convert.Cli;

/// <summary>The text `inspect MODEL` prints: one fact per line, the metadata the converter wrote, then layers and weights.</summary>
internal static class ModelInspectionText
{
    public static string Format(ModelInspection m)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"model: {m.File} ({N(m.FileBytes)} bytes)");
        sb.AppendLine(m.SpecificationVersion is { } spec ? $"format: {m.FormatText}, spec {spec} (needs {m.MinimumOs} or later)" : $"format: {m.FormatText}");
        if (m.Strings.KerasVersion is not null || m.Strings.Backend is not null)
        {
            sb.AppendLine($"keras_version: {Echo.Of(m.Strings.KerasVersion ?? "?")}, backend: {Echo.Of(m.Strings.Backend ?? "?")}");
        }

        foreach (var input in m.Inputs)
        {
            sb.AppendLine($"input:  {Feature(input)}");
        }

        foreach (var output in m.Outputs)
        {
            sb.AppendLine($"output: {Feature(output)}");
        }

        Strings(sb, m.Strings);
        if (m.Converter is { } c)
        {
            Converter(sb, c);
        }

        if (m.Nms is { } nms)
        {
            var inputs = nms.ThresholdInputs.Count > 0 ? $"; optional inputs {string.Join(", ", nms.ThresholdInputs.Select(n => Echo.Of(n)))} override them" : string.Empty;
            var boxes = nms.CandidateBoxes is { } b ? $", from {N(b)} candidate boxes" : string.Empty;
            sb.AppendLine($"nms: iou threshold {D(nms.IouThreshold)}, confidence threshold {D(nms.ConfidenceThreshold)}, {(nms.PerClass ? "per class" : "across classes")}{boxes}, {N(nms.Labels.Count)} labels{inputs}");
        }

        sb.AppendLine($"layers: {N(m.LayerCount)} ({string.Join(", ", m.Layers.Select(l => $"{l.Type} {N(l.Count)}"))})");
        foreach (var custom in m.CustomLayers)
        {
            sb.AppendLine($"custom layers: {N(custom.Count)} × \"{Echo.Of(custom.ClassName)}\"; the app must implement and register a class named {Echo.Of(custom.ClassName)} (MLCustomLayer) before loading the model");
        }

        sb.AppendLine($"weights: {N(m.WeightBytes)} bytes");
        foreach (var w in m.Weights)
        {
            var role = w.Role switch { "kernels" => "conv kernels", "other" => "biases/other", _ => w.Role };
            sb.AppendLine($"  {role,-13} {w.Format,-8} {N(w.Tensors),6} tensors {N(w.Values),14} values {N(w.Bytes),14} bytes");
        }

        if (m.UserDefined.Count > 0)
        {
            sb.AppendLine($"user-defined metadata: {N(m.UserDefined.Count)} entries (all of them with --json)");
        }

        return sb.ToString();
    }

    private static void Strings(StringBuilder sb, ModelStrings s)
    {
        foreach (var (name, value) in new[] { ("author", s.Author), ("licence", s.License), ("description", s.Description), ("version", s.Version) })
        {
            if (value is not null)
            {
                sb.AppendLine($"{name}: {Echo.Of(value, 400)}");
            }
        }
    }

    private static void Converter(StringBuilder sb, ConverterMetadata c)
    {
        var size = c.InputWidth is { } w && c.InputHeight is { } h ? $"input {w}x{h}" : "input size not stored";
        var resize = c.Resize is { } r ? $", {Echo.Of(r)}" : string.Empty;
        var scale = c.InputScale is { } s ? $", pixels × {Echo.Of(s)}" : string.Empty;
        sb.AppendLine($"converter: {Echo.Of(c.Converter ?? "unknown")}; {size}{resize}{scale}; {(c.Classes is { } n ? N(n) : "?")} classes");
        if (c.ClassNames is { } names)
        {
            const int Shown = 10;
            var more = names.Count > Shown ? $", … {N(names.Count - Shown)} more" : string.Empty;
            sb.AppendLine($"class names: {string.Join(", ", names.Take(Shown).Select(n => Echo.Of(n)))}{more}");
        }

        foreach (var head in c.Heads)
        {
            var parts = new List<string?>
            {
                Echo.Of(head.Type ?? "?"),
                head.Layer is { } layer ? $"layer {layer}" : null,
                head.Grid is { } grid ? $"grid {Echo.Of(grid)}" : null,
                head.Stride is { } stride ? $"stride {stride}" : null,
                head.Classes is { } classes ? $"classes {classes}" : null,
                head.Mask is { } mask ? $"mask {string.Join(",", mask)}" : null,
                head.Anchors is { } anchors ? $"anchors {string.Join(" ", anchors.Chunk(2).Select(a => string.Join(",", a.Select(F))))}" : null,
                head.ScaleXY is { } scaleXY ? $"scale_x_y {F(scaleXY)}" : null,
            };
            if (head.NewCoords == true)
            {
                parts.Add("new_coords");
            }

            sb.AppendLine($"head {Echo.Of(head.Output)}: {string.Join(", ", parts.OfType<string>())}");
        }
    }

    private static string Feature(ModelFeature f)
    {
        var type = f.Type switch
        {
            "image" => $"image {f.Width}x{f.Height} {f.ColorSpace}",
            "multiArray" => $"multiArray {f.DataType} {f.ShapeRange ?? Shape(f.Shape)}",
            "tensor" => f.Shape.Count > 0 ? $"tensor {f.DataType} {Shape(f.Shape)}" : f.Description.Length > 0 ? $"from a {Echo.Of(f.Description)} layer" : "tensor",
            _ => f.Type,
        };
        return $"{Echo.Of(f.Name)}  {type}{(f.Optional ? " (optional)" : string.Empty)}";
    }

    private static string Shape(IReadOnlyList<long?> shape) => "[" + string.Join(", ", shape.Select(d => d is { } v ? N(v) : "None")) + "]";

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string F(float v) => v.ToString(CultureInfo.InvariantCulture);
}
