using System.CommandLine;
using System.Diagnostics;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.MLProgram;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Keras;
using Yolo4Convert.Passes;

namespace Yolo4Convert.Cli;

/// <summary>The convert command's .mlpackage (ML Program) output: its options and its write and summary.</summary>
internal static class PackageOptions
{
    /// <summary>The pinned target of --target, or null for the lowest that works; refuses --target for other formats.</summary>
    public static MLProgramTarget? Target(string? asked, bool package)
    {
        if (asked is null)
        {
            return null;
        }

        if (!package)
        {
            throw new UsageException($"--target {asked} chooses the OS of an ML Program; OUTPUT must be a .mlpackage.");
        }

        return MLProgramTargets.Parse(asked)
            ?? throw new UsageException($"--target '{asked}' is not a target; expected iOS15, iOS16, iOS17 or iOS18 (or macOS12...macOS15).");
    }

    /// <summary>How mish is lowered in a package: built-in ops only (stable by default); the custom layer does not exist there.</summary>
    public static MishLowering Mish(string? asked) => asked switch
    {
        "native" => MishLowering.Native,
        null or "stable" => MishLowering.Stable,
        _ => throw new UsageException(
            "--mish custom: an ML Program (.mlpackage) has no custom layers. Hint: leave out --mish for built-in ops in the half-precision-safe form, or pass --mish native.",
            suggestHelp: false),
    };

    /// <summary>
    /// Writes the package (a detector pipeline when <paramref name="writers"/> has one, i.e. with --nms) and the
    /// --keras file, prints the summary and commits.
    /// </summary>
    public static int Convert(
        ParseResult parse, TextWriter stdout, bool json, OutputTransaction outputs, ProgressLine progress, (MLProgramWriter Raw, MLProgramPipelineWriter? Pipeline) writers,
        (ShapedNetwork Shaped, DarknetWeightsFile Weighted) model, (FileInfo Output, FileInfo? Keras) files, CoreMLWriterOptions options, (NmsOptions? Nms, int MishLayers) settings,
        WarningLog warnings, Stopwatch watch)
    {
        var (shaped, weighted) = model;
        var (outputFile, kerasFile) = files;
        var (nms, mishLayers) = settings;
        var (keras, result, pipeline) = WarningOutput.Read(parse, warnings, () =>
        {
            using var shown = progress;
            progress.Step($"writing {kerasFile?.Name ?? outputFile.Name}");
            var keras = kerasFile is null ? null : outputs.Write(kerasFile.ToString(), stream => new KerasH5Writer().Write(shaped, weighted, stream));
            progress.Step($"writing {outputFile.Name}");
            if (writers.Pipeline is { } pipelineWriter)
            {
                var written = outputs.WritePackage(outputFile.ToString(), create => pipelineWriter.Write(shaped, weighted, create));
                return (keras, written.Program, written);
            }

            return (keras, outputs.WritePackage(outputFile.ToString(), create => writers.Raw.Write(shaped, weighted, create)), (MLProgramPipelineWriteResult?)null);
        });

        var noNames = pipeline is { LabelsFromNames: false }
            ? $"no --names given; the model's class labels are the class numbers 0..{pipeline.Classes - 1}. Vision shows these as the labels."
            : null;
        if (noNames is not null)
        {
            parse.InvocationConfiguration.Error.WriteLine($"warning: {noNames}");
        }

        var specification = pipeline?.SpecificationVersion ?? result.SpecificationVersion;
        var seconds = watch.Elapsed.TotalSeconds;
        var bytes = outputs.WrittenLength(outputFile.ToString());
        var precision = PrecisionOptions.Format(result.Precision);
        var weights = options.Quantization is null ? string.Empty : PrecisionOptions.Summary(options, result.Weights);
        var mish = mishLayers == 0 ? null : MishChoice.Name(options.Mish);
        if (json)
        {
            stdout.WriteLine(Json.Serialize(new
            {
                output = outputFile.ToString(),
                bytes,
                darknetLayers = shaped.Network.Layers.Length,
                mlProgram = new
                {
                    specificationVersion = specification,
                    opset = result.Opset,
                    target = result.Target.Name(),
                    precision,
                    quantization = PrecisionOptions.QuantizationName(options),
                    operations = result.OperationCount,
                    operationTypes = result.OperationTypes,
                    weightFileBytes = result.WeightFileBytes,
                    mish,
                    input = new { name = options.InputName, width = shaped.Network.Net.Width, height = shaped.Network.Net.Height },
                    heads = result.Heads.Select(h => new { name = h.OutputName, shape = new[] { 1, h.Shape.C, h.Shape.H, h.Shape.W }, stride = h.Stride, layer = h.Head.Layer }),
                    nms = pipeline is null ? null : NmsCommandOptions.Json(pipeline.Boxes, pipeline.Classes, nms!, pipeline.Labels),
                },
                keras = keras is null ? null : new { file = kerasFile!.ToString(), bytes = outputs.WrittenLength(kerasFile.ToString()), layers = keras.LayerCount },
                seconds,
                warnings = WarningOutput.Json(warnings, noNames is null ? [] : [noNames]),
            }));
        }
        else
        {
            if (keras is not null)
            {
                stdout.WriteLine($"wrote {kerasFile}: {shaped.Network.Layers.Length} Darknet layers -> {keras.LayerCount} Keras layers, {CommonOptions.Mb(outputs.WrittenLength(kerasFile!.ToString()))}, outputs {string.Join(" ", keras.Outputs)} (NHWC)");
            }

            var heads = pipeline is not null ? NmsCommandOptions.Describe(pipeline.Boxes, pipeline.Classes, pipeline.Labels.Count)
                : "outputs " + string.Join(" ", result.Heads.Select(h => $"{h.OutputName}[1x{h.Shape.C}x{h.Shape.H}x{h.Shape.W}]"));
            var mishText = mish is null ? string.Empty : $", mish: {mish} (built-in ops)";
            stdout.WriteLine(
                $"wrote {outputFile}: ML Program {(pipeline is null ? "package" : "pipeline package")}, {shaped.Network.Layers.Length} Darknet layers -> {result.OperationCount} MIL ops{mishText}, " +
                $"spec {specification} ({result.Target.Name()}+, opset {result.Opset}), {precision}{weights}, {CommonOptions.Mb(bytes)}, {heads}, {CommonOptions.F(seconds, "0.00")} s");
            if (parse.GetValue(CommandRunner.Verbose))
            {
                foreach (var line in PrecisionOptions.VerboseLines(options, result.Weights))
                {
                    stdout.WriteLine(line);
                }
            }
        }

        stdout.Flush();
        outputs.Commit();
        return ExitCodes.Ok;
    }
}
