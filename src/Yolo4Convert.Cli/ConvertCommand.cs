using System.CommandLine;
using System.Diagnostics;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Keras;

namespace Yolo4Convert.Cli;

/// <summary>CFG WEIGHTS OUTPUT → .mlmodel: the root's action, and the same as the explicit `convert` subcommand.</summary>
internal static class ConvertCommand
{
    /// <summary>The name of the explicit subcommand.</summary>
    public const string Name = "convert";

    /// <summary>`convert CFG WEIGHTS OUTPUT`: the root's conversion, spelled out.</summary>
    public static Command Create()
    {
        var command = new Command(Name, "Convert CFG + WEIGHTS to OUTPUT (.mlmodel or .h5); the same as giving the three files without a command.");
        Configure(command);
        return command;
    }

    /// <summary>Adds the conversion's arguments, options and action to <paramref name="root"/> (the root command or `convert`).</summary>
    public static void Configure(Command root)
    {
        var cfg = new Argument<FileInfo>("CFG") { Description = "Darknet .cfg file (e.g. yolov4.cfg)." };
        var weights = new Argument<FileInfo>("WEIGHTS") { Description = "Darknet .weights file that belongs to the cfg." };
        var output = new Argument<FileInfo>("OUTPUT")
        {
            Description = "Model to write: .mlmodel (Core ML) or .h5 (Keras 2 full-model HDF5). Written atomically; an existing file is replaced only on success.",
        };
        var keras = new Option<FileInfo?>("--keras") { Description = "Also write the Keras .h5 intermediate form to this file.", HelpName = "FILE.h5" };
        var mish = MishChoice.Option();
        var names = new Option<FileInfo?>("--names") { Description = "Class names file (one per line, e.g. coco.names), written to the model metadata." };
        var inputName = new Option<string>("--input-name") { Description = "Name of the image input.", DefaultValueFactory = _ => "image" };
        var outputNames = new Option<string?>("--output-names")
        {
            Description = "Comma-separated names for the head outputs, in cfg order (default head_s8,head_s16,... by stride). E.g. output1,output2,output3 to replace an existing model.",
            HelpName = "a,b,c",
        };
        var author = new Option<string?>("--author") { Description = "Metadata: author." };
        var license = new Option<string?>("--license") { Description = "Metadata: licence." };
        var description = new Option<string?>("--description") { Description = "Metadata: short description." };
        var size = CommonOptions.Size();
        var precision = new PrecisionOptions();
        var json = CommonOptions.JsonOutput();
        var nmsOptions = new NmsCommandOptions();
        var strict = WarningOutput.Strict();
        foreach (var a in new Argument[] { cfg, weights, output })
        {
            root.Arguments.Add(a);
        }

        foreach (var o in new Option[] { keras, mish, names, inputName, outputNames, size, author, license, description, json, strict }.Concat(nmsOptions.All).Concat(precision.All))
        {
            root.Options.Add(o);
        }

        root.SetAction(parse => CommandRunner.Run(parse, stdout =>
        {
            var watch = Stopwatch.StartNew();
            var outputFile = parse.GetRequiredValue(output);
            InputFiles.RefuseFolder("OUTPUT", outputFile.ToString(), "model.mlmodel");
            var kerasOnly = outputFile.Extension.Equals(".h5", StringComparison.OrdinalIgnoreCase);
            if (!kerasOnly && !outputFile.Extension.Equals(".mlmodel", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"OUTPUT '{outputFile.Name}' should end in .mlmodel (Core ML) or .h5 (Keras).");
            }

            precision.CheckApplies(parse, kerasOnly);
            if (kerasOnly && parse.GetValue(keras) is not null)
            {
                throw new UsageException($"OUTPUT '{outputFile.Name}' is already the Keras file; --keras is for writing a .h5 beside a .mlmodel OUTPUT.");
            }

            var kerasFile = kerasOnly ? outputFile : parse.GetValue(keras);
            if (kerasFile is not null && !kerasOnly)
            {
                InputFiles.RefuseFolder("--keras", kerasFile.ToString(), "model.h5");
            }

            if (kerasFile is not null && !kerasFile.Extension.Equals(".h5", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"--keras '{kerasFile.Name}' should end in .h5.");
            }

            var nms = nmsOptions.Read(parse, kerasOnly);
            var (width, height) = CommonOptions.ParseSize(parse.GetValue(size));
            var cfgFile = parse.GetRequiredValue(cfg);
            var weightsFile = parse.GetRequiredValue(weights);
            var namesFile = parse.GetValue(names);
            using var outputs = OutputTransaction.Begin(
                [("CFG", cfgFile.ToString()), ("WEIGHTS", weightsFile.ToString()), ("--names", namesFile?.ToString())],
                [("OUTPUT", outputFile.ToString()), ("--keras", kerasOnly ? null : kerasFile?.ToString())],
                parse.InvocationConfiguration.Error);
            InputFiles.Require(("CFG", cfgFile.ToString()), ("WEIGHTS", weightsFile.ToString()), ("--names", namesFile?.ToString()));
            var warnings = WarningOutput.Log(parse, strict);
            using var progress = ProgressLine.Start(parse.InvocationConfiguration.Error, parse.GetValue(json), "convert", ProgressAfter);
            progress.Step("reading the cfg and weights");
            var shaped = WarningOutput.Read(parse, warnings, () => DarknetReader.ReadCfg(DarknetReader.ReadCfgText(cfgFile.ToString()), cfgFile.ToString(), width, height, warnings));

            // The size is checked here, before anything is written; the values are read while the outputs are written.
            using var weighted = DarknetWeightsFile.Open(shaped, weightsFile.ToString(), warnings);
            var defaults = new CoreMLWriterOptions();
            var options = precision.Apply(parse, new CoreMLWriterOptions
            {
                Author = parse.GetValue(author) ?? defaults.Author,
                License = parse.GetValue(license) ?? defaults.License,
                Description = parse.GetValue(description),
                Mish = MishChoice.Resolve(parse.GetValue(mish), nms is not null),
                InputName = parse.GetRequiredValue(inputName),
                OutputNames = parse.GetValue(outputNames)?.Split(',', StringSplitOptions.TrimEntries),
                ClassNames = namesFile is null ? null : ClassNames.Read(namesFile, shaped.Network.Heads.Select(h => h.Classes).DefaultIfEmpty(0).Max(), "the cfg's heads"),
                UserDefined = new Dictionary<string, string>
                {
                    ["source.cfg"] = cfgFile.Name,
                    ["source.weights"] = weightsFile.Name,
                    ["source.weights.version"] = $"{weighted.Header.Major}.{weighted.Header.Minor}.{weighted.Header.Revision}",
                    ["source.weights.seen"] = weighted.Header.Seen.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            });
            var mishLayers = MishChoice.Count(shaped.Network);
            WarningOutput.Read(parse, warnings, () =>
            {
                MishChoice.WarnIfCustomInPipeline(warnings, options.Mish, nms is not null, mishLayers, options.MishClassName);
                return 0;
            });
            CoreMLWriter writer;
            IReadOnlyList<HeadDescription> heads;
            PipelineWriter? pipelineWriter;
            try
            {
                writer = new CoreMLWriter(options);
                heads = writer.DescribeHeads(shaped);
                pipelineWriter = nms is null ? null : new PipelineWriter(options, nms);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.Message.Split(" (Parameter", 2)[0] + ".");
            }

            var (kerasResult, pipeline, result) = WarningOutput.Read(parse, warnings, () =>
            {
                // The line is erased before the readers' warnings are printed.
                using var shown = progress;
                progress.Step($"writing {kerasFile?.Name ?? outputFile.Name}");
                var keras = kerasFile is null ? null : outputs.Write(kerasFile.ToString(), stream => new KerasH5Writer().Write(shaped, weighted, stream));
                progress.Step($"writing {outputFile.Name}");
                var pipeline = pipelineWriter is null ? null : outputs.Write(outputFile.ToString(), stream => pipelineWriter.Write(shaped, weighted, stream));
                var result = kerasOnly ? null : pipeline?.Network ?? outputs.Write(outputFile.ToString(), stream => writer.Write(shaped, weighted, stream));
                return (keras, pipeline, result);
            });
            var noNames = pipeline is { LabelsFromNames: false }
                ? $"no --names given; the model's class labels are the class numbers 0..{pipeline.Classes - 1}. Vision shows these as the labels."
                : null;
            if (noNames is not null)
            {
                parse.InvocationConfiguration.Error.WriteLine($"warning: {noNames}");
            }

            var seconds = watch.Elapsed.TotalSeconds;
            long Size(FileInfo f) => outputs.WrittenLength(f.ToString());
            if (parse.GetValue(json))
            {
                stdout.WriteLine(Json.Serialize(new
                {
                    output = outputFile.ToString(),
                    bytes = Size(outputFile),
                    darknetLayers = shaped.Network.Layers.Length,
                    coreML = result is null ? null : new
                    {
                        specificationVersion = pipeline?.SpecificationVersion ?? result.SpecificationVersion,
                        layers = result.LayerCount,
                        customLayers = result.CustomLayerCount,
                        mish = mishLayers == 0 ? null : MishChoice.Name(options.Mish),
                        input = new { name = options.InputName, width = shaped.Network.Net.Width, height = shaped.Network.Net.Height },
                        heads = result.Heads.Select(h => new { name = h.OutputName, shape = new[] { h.Shape.C, h.Shape.H, h.Shape.W }, stride = h.Stride, layer = h.Head.Layer }),
                        nms = pipeline is null ? null : new
                        {
                            boxes = pipeline.Boxes,
                            classes = pipeline.Classes,
                            iouThreshold = nms!.IouThreshold,
                            confidenceThreshold = nms.ConfidenceThreshold,
                            labels = pipeline.Labels,
                        },
                        weights = new
                        {
                            precision = PrecisionOptions.Format(options.Precision),
                            quantization = PrecisionOptions.QuantizationName(options),
                            keptInFloat = result.Weights?.KeptInFloat(options.Quantization).Select(l => new { layer = l.LayerName, weights = l.Weights, format = l.Format }),
                        },
                    },
                    keras = kerasResult is null ? null : new
                    {
                        file = kerasFile!.ToString(),
                        bytes = Size(kerasFile),
                        layers = kerasResult.LayerCount,
                        weightedLayers = kerasResult.WeightedLayerCount,
                        outputs = kerasResult.Outputs,
                        customClasses = kerasResult.CustomClasses,
                    },
                    seconds,
                    warnings = WarningOutput.Json(warnings, noNames is null ? [] : [noNames]),
                }));
            }
            else
            {
                var outputsText = string.Join(" ", heads.Select(h => $"{h.OutputName}[{h.Shape.C}x{h.Shape.H}x{h.Shape.W}]"));
                if (kerasResult is not null)
                {
                    var custom = kerasResult.CustomClasses.Count > 0 ? $" (custom: {string.Join(", ", kerasResult.CustomClasses)})" : string.Empty;
                    stdout.WriteLine(
                        $"wrote {kerasFile}: {shaped.Network.Layers.Length} Darknet layers -> {kerasResult.LayerCount} Keras layers{custom}, " +
                        $"{CommonOptions.Mb(Size(kerasFile!))}, outputs {string.Join(" ", kerasResult.Outputs)} (NHWC){(result is null ? $", {CommonOptions.F(seconds, "0.00")} s" : string.Empty)}");
                }

                if (result is not null)
                {
                    var custom = MishChoice.Summary(options.Mish, mishLayers, result.CustomLayerCount, options.MishClassName);
                    stdout.WriteLine(
                        $"wrote {outputFile}: {shaped.Network.Layers.Length} Darknet layers -> {result.LayerCount} Core ML layers{custom}, " +
                        $"spec {pipeline?.SpecificationVersion ?? result.SpecificationVersion} ({OsFor(pipeline?.SpecificationVersion ?? result.SpecificationVersion)}), {CommonOptions.Mb(Size(outputFile))}{PrecisionOptions.Summary(options, result.Weights)}, " +
                        $"{(pipeline is null ? "outputs " + outputsText : NmsCommandOptions.Describe(pipeline))}, {CommonOptions.F(seconds, "0.00")} s");
                    if (parse.GetValue(CommandRunner.Verbose))
                    {
                        foreach (var line in PrecisionOptions.VerboseLines(options, result.Weights))
                        {
                            stdout.WriteLine(line);
                        }
                    }
                }
            }

            // The summary is printed before the outputs replace anything: a run that cannot print (a full disk
            // behind stdout) fails before the commit and leaves every existing output as it was.
            stdout.Flush();
            outputs.Commit();
            return ExitCodes.Ok;
        }));
    }

    /// <summary>A conversion shows its progress line once it has taken this long: the quick ones print only their result.</summary>
    // How long a conversion runs before a terminal shows its progress: 2 s, or YOLO4CONVERT_PROGRESS_AFTER seconds
    // (the tests use a short delay, so that they need no slow conversion).
    internal static readonly TimeSpan ProgressAfter = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("YOLO4CONVERT_PROGRESS_AFTER"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s >= 0 ? s : 2);

    private static string OsFor(int version) => version switch
    {
        1 => "iOS 11+",
        2 => "iOS 11.2+",
        3 => "iOS 12+",
        _ => $"spec {version}",
    };
}
