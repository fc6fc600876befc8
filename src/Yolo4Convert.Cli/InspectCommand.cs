using System.CommandLine;
using System.Text;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
using Yolo4Convert.Inspection;

namespace Yolo4Convert.Cli;

/// <summary>
/// `inspect CFG [WEIGHTS]`: the layer table, parameter count and the exact .weights size; `inspect MODEL`: what a
/// converted .mlmodel or .h5 holds (<see cref="ModelInspectionText"/>). The file's content decides which.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var cfg = new Argument<FileInfo>("CFG|MODEL") { Description = "Darknet .cfg file, or a model yolo4convert wrote (.mlmodel, --nms pipeline .mlmodel, Keras .h5)." };
        var weights = new Argument<FileInfo?>("WEIGHTS") { Description = "Optional .weights file to check against the cfg (cfgs only).", Arity = ArgumentArity.ZeroOrOne };
        var size = CommonOptions.Size();
        var json = CommonOptions.JsonOutput();
        var strict = WarningOutput.Strict();
        var command = new Command("inspect", "Print the layer table of a cfg (index, type, filters, size/stride, input -> output, BFLOPs), its parameter count and the exact .weights size it needs; with WEIGHTS, check that the file matches. "
            + "Given a model instead: its format, spec version and minimum OS, inputs and outputs, metadata (heads, classes, thresholds), layer counts, weight formats and custom layers.")
        {
            cfg, weights, size, json, strict,
        };
        command.SetAction(parse => CommandRunner.Run(parse, stdout =>
        {
            var (w, h) = CommonOptions.ParseSize(parse.GetValue(size));
            var cfgFile = parse.GetRequiredValue(cfg);
            InputFiles.Require(("CFG|MODEL", cfgFile.ToString()), ("WEIGHTS", parse.GetValue(weights)?.ToString()));
            var kind = ModelFileSniffer.Of(cfgFile.FullName);
            if (ModelInspector.Reads(kind) || kind == ModelFileKind.Unknown)
            {
                if (parse.GetValue(weights) is not null || w is not null || h is not null)
                {
                    throw new UsageException($"WEIGHTS and --size go with a cfg; {cfgFile} is a model, which holds its weights and input size.");
                }

                return Model(stdout, cfgFile, parse.GetValue(json));
            }

            var warnings = WarningOutput.Log(parse, strict);
            var (shaped, header) = WarningOutput.Read(parse, warnings, () =>
            {
                var shaped = DarknetReader.ReadCfg(DarknetReader.ReadCfgText(cfgFile.FullName), cfgFile.ToString(), w, h, warnings);
                if (parse.GetValue(weights) is not { } weightsFile)
                {
                    return (shaped, (WeightsHeader?)null);
                }

                using var file = DarknetWeightsFile.Open(shaped, weightsFile.ToString(), warnings);
                file.Scan();
                return (shaped, file.Header);
            });

            var expected = DarknetWeightsReader.ExpectedSize(shaped);
            if (parse.GetValue(json))
            {
                stdout.WriteLine(Json.Serialize(new
                {
                    cfg = cfgFile.ToString(),
                    input = new { width = shaped.Network.Net.Width, height = shaped.Network.Net.Height, channels = shaped.Network.Net.Channels },
                    layers = shaped.Network.Layers.Select(l => InspectLayerRecord.Json(shaped, l)),
                    bflops = shaped.Network.Layers.Sum(shaped.BFlops),
                    parameters = shaped.ParameterCount,
                    weightFloats = shaped.TotalWeightFloats,
                    weightsBytes = expected,
                    weightsBytesOldHeader = DarknetWeightsReader.ExpectedSize(shaped, 16),
                    weightsMatch = header is not null ? true : (bool?)null,
                    warnings = WarningOutput.Json(warnings),
                }));
                return ExitCodes.Ok;
            }

            stdout.Write(Table(shaped));
            stdout.WriteLine($"total: {shaped.Network.Layers.Length} layers, {CommonOptions.F(shaped.Network.Layers.Sum(shaped.BFlops))} BFLOPs, {shaped.ParameterCount:N0} parameters");
            stdout.WriteLine($"weights file: {expected:N0} bytes ({shaped.TotalWeightFloats:N0} floats + 20-byte header; {expected - 4:N0} with the old 16-byte header)");
            if (header is not null)
            {
                stdout.WriteLine($"weights ok: version {header.Major}.{header.Minor}.{header.Revision}, {header.Size}-byte header, seen {header.Seen:N0} images, size matches the cfg exactly");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static int Model(TextWriter stdout, FileInfo file, bool json)
    {
        var inspection = ModelInspector.Inspect(file.FullName, file.ToString());
        if (json)
        {
            stdout.WriteLine(Json.Serialize(inspection));
        }
        else
        {
            stdout.Write(ModelInspectionText.Format(inspection));
        }

        return ExitCodes.Ok;
    }

    internal static string Table(ShapedNetwork shaped)
    {
        var sb = new StringBuilder();
        sb.AppendLine("layer  type            filters  size/stride      input              output             BFLOPs");
        foreach (var layer in shaped.Network.Layers)
        {
            var input = shaped.ShapeOf(layer.Inputs[0]);
            var output = shaped.Shapes[layer.Index];
            var (filters, geometry) = layer switch
            {
                ConvolutionalLayer c => (c.Filters.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"{c.Size}x{c.Size}/{Stride(c.StrideX, c.StrideY)}{(c.Groups > 1 ? $" g{c.Groups}" : string.Empty)}{(c.Dilation > 1 ? $" d{c.Dilation}" : string.Empty)}"),
                MaxPoolLayer m => (string.Empty, $"{m.Size}x{m.Size}/{Stride(m.StrideX, m.StrideY)}"),
                RouteLayer r => (string.Empty, string.Join(",", r.Inputs) + (r.Groups > 1 ? $" g{r.GroupId}/{r.Groups}" : string.Empty)),
                ShortcutLayer s => (string.Empty, "from " + string.Join(",", s.Inputs.Skip(1))),
                ScaleChannelsLayer or SamLayer => (string.Empty, $"from {layer.Inputs[1]}"),
                UpsampleLayer u => (string.Empty, $"x{u.Stride}"),
                ReorgLayer g => (string.Empty, $"/{g.Stride}"),
                _ => (string.Empty, string.Empty),
            };
            var cost = shaped.BFlops(layer);
            var bflops = cost > 0 ? CommonOptions.F(cost) : string.Empty;
            var row = $"{layer.Index,5}  {Short(layer),-15} {filters,7}  {geometry,-15}  {Dims(input),-17} -> {Dims(output),-17}  {bflops,7}";
            sb.AppendLine(layer is HeadLayer ? $"{row}  {InspectLayerRecord.HeadText(layer)}" : row);
        }

        return sb.ToString();
    }

    private static string Short(Layer layer) => layer switch
    {
        ConvolutionalLayer c => $"conv {Activation(c.Activation)}",
        ShortcutLayer s when s.Activation != Graph.Activation.Linear => $"shortcut {Activation(s.Activation)}",
        _ => layer.Kind,
    };

    private static string Activation(Activation a) => ActivationNames.Name(a);

    private static string Stride(int x, int y) => x == y ? $"{x}" : $"{x}x{y}";

    private static string Dims(TensorShape s) => $"{s.W} x {s.H} x {s.C}";
}
