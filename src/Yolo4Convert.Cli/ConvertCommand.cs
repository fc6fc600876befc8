using System.CommandLine;
using System.Diagnostics;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.MLProgram;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Keras;

namespace Yolo4Convert.Cli;

/// <summary>
/// CFG WEIGHTS OUTPUT → .mlmodel: the root's action, and the same as the explicit `convert` subcommand. A run checks
/// the command line (<see cref="Targets"/>), reads the cfg and opens the weights, writes the outputs
/// (<see cref="Write"/>) and reports them (<see cref="ConvertReport"/>) before committing them.
/// </summary>
internal sealed class ConvertCommand
{
    /// <summary>The name of the explicit subcommand.</summary>
    public const string Name = "convert";

    /// <summary>A conversion shows its progress line once it has taken this long: the quick ones print only their result.</summary>
    // How long a conversion runs before a terminal shows its progress: 2 s, or YOLO4CONVERT_PROGRESS_AFTER seconds
    // (the tests use a short delay, so that they need no slow conversion).
    internal static readonly TimeSpan ProgressAfter = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("YOLO4CONVERT_PROGRESS_AFTER"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s >= 0 ? s : 2);

    private readonly Argument<FileInfo> cfg = new("CFG") { Description = "Darknet .cfg file (e.g. yolov4.cfg)." };
    private readonly Argument<FileInfo> weights = new("WEIGHTS") { Description = "Darknet .weights file that belongs to the cfg." };
    private readonly Argument<FileInfo> output = new("OUTPUT")
    {
        Description = "Model to write: .mlmodel (Core ML NeuralNetwork), .mlpackage (Core ML ML Program, iOS 15+; a folder) or .h5 (Keras 2 full-model HDF5). Written atomically; an existing file or package is replaced only on success.",
    };

    private readonly Option<FileInfo?> keras = new("--keras") { Description = "Also write the Keras .h5 intermediate form to this file.", HelpName = "FILE.h5" };
    private readonly Option<string?> mish = MishChoice.Option();
    private readonly Option<FileInfo?> names = new("--names") { Description = "Class names file (one per line, e.g. coco.names), written to the model metadata." };
    private readonly Option<string> inputName = new("--input-name") { Description = "Name of the image input.", DefaultValueFactory = _ => "image" };
    private readonly Option<string?> outputNames = new("--output-names")
    {
        Description = "Comma-separated names for the head outputs, in cfg order (default head_s8,head_s16,... by stride). E.g. output1,output2,output3 to replace an existing model.",
        HelpName = "a,b,c",
    };

    private readonly Option<string?> author = new("--author") { Description = "Metadata: author." };
    private readonly Option<string?> license = new("--license") { Description = "Metadata: licence." };
    private readonly Option<string?> description = new("--description") { Description = "Metadata: short description." };
    private readonly Option<string?> size = CommonOptions.Size();
    private readonly PrecisionOptions precision = new();
    private readonly Option<bool> json = CommonOptions.JsonOutput();
    private readonly NmsCommandOptions nmsOptions = new();
    private readonly Option<bool> strict = WarningOutput.Strict();
    private readonly Option<string?> target = new("--target")
    {
        Description = "The OS an .mlpackage is written for: iOS15, iOS16, iOS17 or iOS18 (or macOS12...macOS15). Default: the lowest that can express the model (iOS15: spec 6, opset CoreML5; iOS16 with --quantize).",
        HelpName = "iOS15",
    };

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
        var convert = new ConvertCommand();
        foreach (var a in new Argument[] { convert.cfg, convert.weights, convert.output })
        {
            root.Arguments.Add(a);
        }

        foreach (var o in new Option[] { convert.keras, convert.mish, convert.names, convert.inputName, convert.outputNames, convert.size, convert.author, convert.license, convert.description, convert.json, convert.strict, convert.target }
            .Concat(convert.nmsOptions.All).Concat(convert.precision.All))
        {
            root.Options.Add(o);
        }

        root.SetAction(parse => CommandRunner.Run(parse, stdout => convert.Run(parse, stdout)));
    }

    private int Run(ParseResult parse, TextWriter stdout)
    {
        var watch = Stopwatch.StartNew();
        var targets = Targets(parse);
        var (width, height) = CommonOptions.ParseSize(parse.GetValue(size));
        var cfgFile = parse.GetRequiredValue(cfg);
        var weightsFile = parse.GetRequiredValue(weights);
        var namesFile = parse.GetValue(names);
        using var outputs = OutputTransaction.Begin(
            [("CFG", cfgFile.ToString()), ("WEIGHTS", weightsFile.ToString()), ("--names", namesFile?.ToString())],
            [("OUTPUT", targets.Output.ToString()), ("--keras", targets.KerasOnly ? null : targets.Keras?.ToString())],
            parse.InvocationConfiguration.Error);
        InputFiles.Require(("CFG", cfgFile.ToString()), ("WEIGHTS", weightsFile.ToString()), ("--names", namesFile?.ToString()));
        var warnings = WarningOutput.Log(parse, strict);
        using var progress = ProgressLine.Start(parse.InvocationConfiguration.Error, parse.GetValue(json), "convert", ProgressAfter);
        progress.Step("reading the cfg and weights");
        var shaped = WarningOutput.Read(parse, warnings, () => DarknetReader.ReadCfg(DarknetReader.ReadCfgText(InputFiles.Open(cfgFile)), cfgFile.ToString(), width, height, warnings));

        // The size is checked here, before anything is written; the values are read while the outputs are written.
        using var weighted = DarknetWeightsFile.Open(shaped, InputFiles.Open(weightsFile), warnings);
        var options = WriterOptions(parse, targets, shaped, weighted.Header, cfgFile, weightsFile, namesFile);
        var mishLayers = MishChoice.Count(shaped.Network);
        WarningOutput.Read(parse, warnings, () =>
        {
            MishChoice.WarnIfCustomInPipeline(warnings, options.Mish, targets.Nms is not null, mishLayers, options.MishClassName);
            NmsKindWarning.WarnIfNotIou(warnings, targets.Nms, shaped.Network);
            return 0;
        });
        var writers = Writers.For(options, targets.Nms, shaped);
        if (targets.Package)
        {
            var programWriter = Writers.Checked(() => new MLProgramWriter(options, targets.PinnedTarget));
            var pipelineWriter = targets.Nms is null ? null : Writers.Checked(() => new MLProgramPipelineWriter(options, targets.Nms, targets.PinnedTarget));
            return PackageOptions.Convert(
                parse, stdout, parse.GetValue(json), outputs, progress, (programWriter, pipelineWriter), (shaped, weighted), (targets.Output, targets.Keras), options, (targets.Nms, mishLayers), warnings, watch);
        }

        var written = WarningOutput.Read(parse, warnings, () =>
        {
            // The line is erased before the readers' warnings are printed.
            using var shown = progress;
            return Write(progress, outputs, targets, writers, shaped, weighted);
        });
        var noNames = written.Pipeline is { LabelsFromNames: false }
            ? $"no --names given; the model's class labels are the class numbers 0..{written.Pipeline.Classes - 1}. Vision shows these as the labels."
            : null;
        if (noNames is not null)
        {
            parse.InvocationConfiguration.Error.WriteLine($"warning: {noNames}");
        }

        var report = new ConvertReport(targets, shaped, options, writers.Heads, written, mishLayers, watch.Elapsed.TotalSeconds, f => outputs.WrittenLength(f.ToString()));
        if (parse.GetValue(json))
        {
            stdout.WriteLine(Json.Serialize(report.Json(WarningOutput.Json(warnings, noNames is null ? [] : [noNames]))));
        }
        else
        {
            report.Text(stdout, parse.GetValue(CommandRunner.Verbose));
        }

        // The summary is printed before the outputs replace anything: a run that cannot print (a full disk
        // behind stdout) fails before the commit and leaves every existing output as it was.
        stdout.Flush();
        outputs.Commit();
        return ExitCodes.Ok;
    }

    /// <summary>The files to write and the --nms settings, checked against each other before any file is touched.</summary>
    private ConvertTargets Targets(ParseResult parse)
    {
        var outputFile = parse.GetRequiredValue(output);
        var package = OutputTransaction.IsPackage(outputFile.ToString());
        if (package)
        {
            outputFile = new FileInfo(outputFile.ToString().TrimEnd('/', '\\'));
        }
        else
        {
            InputFiles.RefuseFolder("OUTPUT", outputFile.ToString(), "model.mlmodel");
        }

        var kerasOnly = outputFile.Extension.Equals(".h5", StringComparison.OrdinalIgnoreCase);
        if (!kerasOnly && !package && !outputFile.Extension.Equals(".mlmodel", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"OUTPUT '{outputFile.Name}' should end in .mlmodel (Core ML NeuralNetwork), .mlpackage (Core ML ML Program) or .h5 (Keras).");
        }

        var pinned = PackageOptions.Target(parse.GetValue(target), package);

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
        return new ConvertTargets(outputFile, kerasFile, kerasOnly, nms, package, pinned);
    }

    /// <summary>The Core ML writer's options: metadata, mish form, names, precision and the source files.</summary>
    private CoreMLWriterOptions WriterOptions(ParseResult parse, ConvertTargets targets, ShapedNetwork shaped, Graph.WeightsHeader header, FileInfo cfgFile, FileInfo weightsFile, FileInfo? namesFile)
    {
        var defaults = new CoreMLWriterOptions();
        return precision.Apply(parse, new CoreMLWriterOptions
        {
            Author = parse.GetValue(author) ?? defaults.Author,
            License = parse.GetValue(license) ?? defaults.License,
            Description = parse.GetValue(description),
            Mish = targets.Package ? PackageOptions.Mish(parse.GetValue(mish)) : MishChoice.Resolve(parse.GetValue(mish), targets.Nms is not null),
            InputName = parse.GetRequiredValue(inputName),
            OutputNames = parse.GetValue(outputNames)?.Split(',', StringSplitOptions.TrimEntries),
            ClassNames = namesFile is null ? null : ClassNames.Read(namesFile, shaped.Network.Heads.Select(h => h.Classes).DefaultIfEmpty(0).Max(), "the cfg's heads"),
            UserDefined = new Dictionary<string, string>
            {
                ["source.cfg"] = cfgFile.Name,
                ["source.weights"] = weightsFile.Name,
                ["source.weights.version"] = $"{header.Major}.{header.Minor}.{header.Revision}",
                ["source.weights.seen"] = header.Seen.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        }, targets.Package);
    }

    /// <summary>Writes the Keras file (if any), then the .mlmodel (a pipeline with --nms), into the transaction.</summary>
    private static ConvertWritten Write(ProgressLine progress, OutputTransaction outputs, ConvertTargets targets, Writers writers, ShapedNetwork shaped, DarknetWeightsFile weighted)
    {
        progress.Step($"writing {targets.Keras?.Name ?? targets.Output.Name}");
        var kerasResult = targets.Keras is null ? null : outputs.Write(targets.Keras.ToString(), stream => new KerasH5Writer().Write(shaped, weighted, stream));
        progress.Step($"writing {targets.Output.Name}");
        var pipeline = writers.Pipeline is null ? null : outputs.Write(targets.Output.ToString(), stream => writers.Pipeline.Write(shaped, weighted, stream));
        var result = targets.KerasOnly ? null : pipeline?.Network ?? outputs.Write(targets.Output.ToString(), stream => writers.CoreML.Write(shaped, weighted, stream));
        return new ConvertWritten(kerasResult, pipeline, result);
    }

    /// <summary>The writers of a run and the heads they will output; options they refuse are a usage error.</summary>
    private sealed record Writers(CoreMLWriter CoreML, IReadOnlyList<HeadDescription> Heads, PipelineWriter? Pipeline)
    {
        public static Writers For(CoreMLWriterOptions options, NmsOptions? nms, ShapedNetwork shaped) => Checked(() =>
        {
            var writer = new CoreMLWriter(options);
            return new Writers(writer, writer.DescribeHeads(shaped), nms is null ? null : new PipelineWriter(options, nms));
        });

        /// <summary>Makes a writer; options it refuses (an <see cref="ArgumentException"/>) are a usage error.</summary>
        public static T Checked<T>(Func<T> make)
        {
            try
            {
                return make();
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.Message.Split(" (Parameter", 2)[0] + ".");
            }
        }
    }
}

/// <summary>What a conversion writes: OUTPUT, the Keras file (OUTPUT itself when it is a .h5) and the --nms settings.</summary>
internal sealed record ConvertTargets(FileInfo Output, FileInfo? Keras, bool KerasOnly, NmsOptions? Nms, bool Package, MLProgramTarget? PinnedTarget);

/// <summary>The writers' results: the Keras file's, the pipeline's (with --nms) and the NeuralNetwork's (none for a .h5 OUTPUT).</summary>
internal sealed record ConvertWritten(KerasWriteResult? Keras, PipelineWriteResult? Pipeline, CoreMLWriteResult? Result);
