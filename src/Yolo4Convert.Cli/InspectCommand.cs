using System.CommandLine;
using System.Text;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Inspection;

namespace Yolo4Convert.Cli;

/// <summary>
/// `inspect CFG [WEIGHTS]`: the layer table, parameter count and the exact .weights size; `inspect MODEL`: what a
/// converted .mlmodel or .h5 holds (<see cref="ModelInspectionText"/>). The file's content decides which.
/// </summary>
internal sealed class InspectCommand
{
    private readonly Argument<FileInfo> input = new("CFG|MODEL") { Description = "Darknet .cfg file, or a model yolo4convert wrote (.mlmodel, --nms pipeline .mlmodel, Keras .h5)." };
    private readonly Argument<FileInfo?> weights = new("WEIGHTS") { Description = "Optional .weights file to check against the cfg (cfgs only).", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string?> size = CommonOptions.Size();
    private readonly Option<bool> json = CommonOptions.JsonOutput();
    private readonly Option<bool> strict = WarningOutput.Strict();

    public static Command Create()
    {
        var inspect = new InspectCommand();
        var command = new Command("inspect", "Print the layer table of a cfg (index, type, filters, size/stride, input -> output, BFLOPs), its parameter count and the exact .weights size it needs; with WEIGHTS, check that the file matches. "
            + "Given a model instead: its format, spec version and minimum OS, inputs and outputs, metadata (heads, classes, thresholds), layer counts, weight formats and custom layers.")
        {
            inspect.input, inspect.weights, inspect.size, inspect.json, inspect.strict,
        };
        command.SetAction(parse => CommandRunner.Run(parse, stdout => inspect.Run(parse, stdout)));
        return command;
    }

    /// <summary>The layer table of <paramref name="shaped"/>, one row per layer.</summary>
    internal static string Table(ShapedNetwork shaped)
    {
        var sb = new StringBuilder();
        sb.AppendLine(InspectLayerRecord.Header);
        foreach (var layer in shaped.Network.Layers)
        {
            sb.AppendLine(InspectLayerRecord.Row(LayerFacts.Of(shaped, layer)));
        }

        return sb.ToString();
    }

    private int Run(ParseResult parse, TextWriter stdout)
    {
        var (w, h) = CommonOptions.ParseSize(parse.GetValue(size));
        var file = parse.GetRequiredValue(input);
        var weightsFile = parse.GetValue(weights);
        InputFiles.Require(("CFG|MODEL", file.ToString()), ("WEIGHTS", weightsFile?.ToString()));
        var package = InputFiles.IsPackage(file.ToString());
        var kind = package ? ModelFileKind.CoreMLModel : ModelFileSniffer.Of(InputFiles.Open(file));
        if (ModelInspector.Reads(kind) || kind == ModelFileKind.Unknown)
        {
            if (weightsFile is not null || w is not null || h is not null)
            {
                throw new UsageException($"WEIGHTS and --size go with a cfg; {file} is a model, which holds its weights and input size.");
            }

            return Model(stdout, file, parse.GetValue(json));
        }

        var warnings = WarningOutput.Log(parse, strict);
        var (shaped, header) = WarningOutput.Read(parse, warnings, () => ReadCfg(file, weightsFile, w, h, warnings));
        if (parse.GetValue(json))
        {
            stdout.WriteLine(Json.Serialize(JsonReport(file, shaped, header, warnings)));
        }
        else
        {
            stdout.Write(TextReport(shaped, header));
        }

        return ExitCodes.Ok;
    }

    /// <summary>Reads the cfg at its size (or <paramref name="w"/> x <paramref name="h"/>) and, given a weights file, checks it whole.</summary>
    private static (ShapedNetwork Shaped, WeightsHeader? Header) ReadCfg(FileInfo cfgFile, FileInfo? weightsFile, int? w, int? h, WarningLog warnings)
    {
        var shaped = DarknetReader.ReadCfg(DarknetReader.ReadCfgText(InputFiles.Open(cfgFile)), cfgFile.ToString(), w, h, warnings);
        if (weightsFile is null)
        {
            return (shaped, null);
        }

        using var file = DarknetWeightsFile.Open(shaped, InputFiles.Open(weightsFile), warnings);
        file.Scan();
        return (shaped, file.Header);
    }

    private static object JsonReport(FileInfo cfgFile, ShapedNetwork shaped, WeightsHeader? header, WarningLog warnings) => new
    {
        cfg = cfgFile.ToString(),
        input = new { width = shaped.Network.Net.Width, height = shaped.Network.Net.Height, channels = shaped.Network.Net.Channels },
        layers = shaped.Network.Layers.Select(l => InspectLayerRecord.Json(LayerFacts.Of(shaped, l))),
        bflops = shaped.Network.Layers.Sum(shaped.BFlops),
        parameters = shaped.ParameterCount,
        weightFloats = shaped.TotalWeightFloats,
        weightsBytes = DarknetWeightsReader.ExpectedSize(shaped),
        weightsBytesOldHeader = DarknetWeightsReader.ExpectedSize(shaped, 16),
        weightsMatch = header is not null ? true : (bool?)null,
        warnings = WarningOutput.Json(warnings),
    };

    private static string TextReport(ShapedNetwork shaped, WeightsHeader? header)
    {
        var expected = DarknetWeightsReader.ExpectedSize(shaped);
        var sb = new StringBuilder(Table(shaped));
        sb.AppendLine($"total: {shaped.Network.Layers.Length} layers, {CommonOptions.F(shaped.Network.Layers.Sum(shaped.BFlops))} BFLOPs, {shaped.ParameterCount:N0} parameters");
        sb.AppendLine($"weights file: {expected:N0} bytes ({shaped.TotalWeightFloats:N0} floats + 20-byte header; {expected - 4:N0} with the old 16-byte header)");
        if (header is not null)
        {
            sb.AppendLine($"weights ok: version {header.Major}.{header.Minor}.{header.Revision}, {header.Size}-byte header, seen {header.Seen:N0} images, size matches the cfg exactly");
        }

        return sb.ToString();
    }

    private static int Model(TextWriter stdout, FileInfo file, bool json)
    {
        var inspection = InputFiles.IsPackage(file.ToString()) ? ModelInspector.Inspect(InputFiles.OpenFolder(file.ToString())) : ModelInspector.Inspect(InputFiles.Open(file));
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
}
