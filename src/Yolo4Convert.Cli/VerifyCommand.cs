using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;
using Yolo4Convert.Detection;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Passes;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Cli;

/// <summary>`verify CFG WEIGHTS MODEL`: compares the converted model with a direct Darknet-semantics forward pass.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var cfg = new Argument<FileInfo>("CFG") { Description = "The Darknet .cfg the model was converted from." };
        var weights = new Argument<FileInfo>("WEIGHTS") { Description = "The Darknet .weights the model was converted from." };
        var model = new Argument<FileInfo>("MODEL") { Description = "The .mlmodel to check." };
        var image = new Option<FileInfo?>("--image") { Description = "Image to run both on (stretched to the input size); default: a fixed synthetic pattern." };
        // 0 (not accepted on the command line) stands for "the default of the stored weights and precision".
        var tolerance = HelpText.WithDefaultInWords(
            CommonOptions.Number("--tolerance", 0.0, 0, 1, false, false,
                "Largest allowed |model − reference| per head, relative to the head's largest magnitude. For quantized weights the head error is informative and every reference detection must be found; giving --tolerance makes it a verdict again.", "1e-4"),
            VerifyFormat.InWords(f => $"{VerifyFormat.Number(f.Tolerance)} for {f.Name}{(f.HeadErrorDecides ? string.Empty : " (informative)")}"));
        var precision = new Option<string>("--precision")
        {
            Description = "'fp32' (default) runs the model in float32; 'fp16' also runs it with every layer's output, the input and the weights rounded to half precision, as the GPU and the Neural Engine do, and checks that run.",
            DefaultValueFactory = _ => "fp32",
        };
        precision.AcceptOnlyFromAmong("fp32", "fp16");
        var threshold = CommonOptions.Number("--threshold", 0.5f, 0, 1, false, false,
            "Class probability above which a reference detection must also be found by the model (the model's own threshold is 0.1 lower).", "0.5");
        var minIou = HelpText.WithDefaultInWords(
            CommonOptions.Number("--min-iou", 0f, 0, 1, false, true, "Smallest IoU of a model box with the reference box of the same class to count as found.", "0.9"),
            VerifyFormat.InWords(f => $"{VerifyFormat.Number(f.MinIou)} for {f.Name}"));
        var names = new Option<FileInfo?>("--names") { Description = "Class names file, for the messages; defaults to the names stored in the model, else class numbers." };
        var json = CommonOptions.JsonOutput();
        var strict = WarningOutput.Strict();
        var command = new Command("verify", "Run the model with the built-in Core ML runtime and an independent Darknet-semantics forward pass of CFG + WEIGHTS; report per head the largest absolute and relative difference, and whether the model finds every detection the reference finds (same class, IoU, after NMS). Exits 6 when a detection is missing or, for fp32 and fp16 weights, a head differs by more than --tolerance; for quantized weights the head error is informative and the detections decide.")
        {
            cfg, weights, model, image, tolerance, precision, threshold, minIou, names, json, strict,
        };
        command.SetAction(parse => CommandRunner.Run(parse, stdout =>
        {
            var compute = parse.GetValue(precision) == "fp16" ? ComputePrecision.Fp16 : ComputePrecision.Fp32;
            var scoreThreshold = parse.GetValue(threshold);
            InputFiles.Require(("CFG", parse.GetRequiredValue(cfg).ToString()), ("WEIGHTS", parse.GetRequiredValue(weights).ToString()),
                ("MODEL", parse.GetRequiredValue(model).ToString()), ("--image", parse.GetValue(image)?.ToString()));

            using var progress = ProgressLine.Start(parse.InvocationConfiguration.Error, parse.GetValue(json), "verify");
            progress.Step("reading the model, cfg and weights");
            var loaded = LoadedModel.Load(parse.GetRequiredValue(model).ToString());
            var info = loaded.Info;

            // A detector pipeline's raw heads are internal blobs of its decoder stage, named in the metadata.
            var headNames = loaded.Pipeline is null ? [.. info.Outputs.Select(o => o.Name)] : HeadSpec.FromMetadata(info).Select(h => h.OutputName).ToList();
            var format = VerifyFormat.For(loaded.StoredWeights, compute);
            var explicitTolerance = parse.GetValue(tolerance) is > 0 and var t ? t : (double?)null;
            var limit = explicitTolerance ?? format.Tolerance;
            var iouLimit = parse.GetValue(minIou) is > 0 and var m ? m : format.MinIou;
            var warnings = WarningOutput.Log(parse, strict);
            var (shaped, weighted) = WarningOutput.Read(parse, warnings,
                () => DarknetReader.Read(parse.GetRequiredValue(cfg).ToString(), parse.GetRequiredValue(weights).ToString(), info.Width, info.Height, warnings));
            VerifySource.Check(info, headNames, shaped, parse.GetRequiredValue(cfg).ToString());
            var classNames = parse.GetValue(names) is { } namesFile
                ? ClassNames.Read(namesFile, shaped.Network.Heads.Select(h => h.Classes).DefaultIfEmpty(0).Max(), "the cfg's heads")
                : info.UserDefined.TryGetValue(ClassNamesMetadata.Key, out var stored) ? ClassNamesMetadata.Decode(stored) : null;
            string Label(int id) => classNames is not null && id < classNames.Count ? classNames[id] : $"class {id}";
            var channels = info.Grayscale ? 1 : 3;
            var pixels = parse.GetValue(image) is { } file
                ? ImageFiles.Prepare(ImageFiles.Load(file.ToString()), info.Width, info.Height, letterbox: false, info.Grayscale).Pixels
                : Pattern(channels, info.Height, info.Width);

            var watch = Stopwatch.StartNew();
            progress.Step("running the Darknet reference");
            var scaled = new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]);
            var reference = DarknetReference.Forward(weighted, shaped, scaled);
            var referenceSeconds = watch.Elapsed.TotalSeconds;

            // The passes run one after the other: only the reference's heads stay while the model runs.
            weighted = null;
            GC.Collect();
            var expected = VerifyComparison.ReferenceDetections(info, reference, scoreThreshold);

            var runs = new List<VerifyRun>();
            PipelineCheck.Result? decoded = null;
            foreach (var p in compute == ComputePrecision.Fp16 ? new[] { ComputePrecision.Fp32, ComputePrecision.Fp16 } : [ComputePrecision.Fp32])
            {
                watch.Restart();
                progress.Step(p == ComputePrecision.Fp16 ? "running the model in emulated half precision" : "running the model");
                var outputs = loaded.Pipeline is { } pipeline ? pipeline.Run(pixels, keep: headNames, precision: p).Decoded : loaded.Network!.Run(pixels, p);
                var seconds = watch.Elapsed.TotalSeconds;
                decoded = loaded.Pipeline is null ? null : PipelineCheck.Compare(loaded.Pipeline, outputs, reference);
                runs.Add(new VerifyRun(p, VerifyComparison.HeadErrors(info, headNames, outputs, reference),
                    VerifyComparison.Agreement(info, outputs, expected, scoreThreshold, iouLimit), seconds));
            }

            progress.Dispose();
            var checkedRun = runs[^1];
            var worst = Math.Max(checkedRun.Worst, decoded?.Difference.Worst ?? 0);
            var verdict = new VerifyVerdict(format, limit, explicitTolerance is not null || format.HeadErrorDecides, worst, checkedRun.Detections, checkedRun.HasNonFinite);
            var ok = verdict.Ok;
            var synthetic = parse.GetValue(image) is null;
            var broken = checkedRun.Heads.Where(r => r.Diff.HasNonFinite).ToList();
            if (broken.Count > 0)
            {
                parse.InvocationConfiguration.Error.WriteLine(
                    $"error: {broken.Count} head{(broken.Count == 1 ? string.Empty : "s")} hold NaN/Inf values{(checkedRun.Precision == ComputePrecision.Fp16 ? " in half precision" : string.Empty)}: "
                    + string.Join("; ", broken.Select(r => $"{r.Head} (layer {r.Layer}) {r.Diff.NonFiniteActual:N0} of {r.Shape.Count:N0} in the model, {r.Diff.NonFiniteExpected:N0} in the Darknet reference"))
                    + ". Hint: check the weights for NaN/Inf with 'yolo4convert inspect CFG WEIGHTS'.");
            }
            if (!parse.GetValue(json) && verdict.Note(synthetic) is { } note)
            {
                parse.InvocationConfiguration.Error.WriteLine(note);
            }

            var modelSeconds = runs[0].Seconds;
            if (parse.GetValue(json))
            {
                object Heads(VerifyRun r) => r.Heads.Select(h => new { name = h.Head, layer = h.Layer, shape = new[] { h.Shape.C, h.Shape.H, h.Shape.W }, maxAbsoluteError = h.Abs, maxRelativeError = h.Rel, nonFiniteModel = h.Diff.NonFiniteActual, nonFiniteReference = h.Diff.NonFiniteExpected });
                object Detections(VerifyRun r) => new
                {
                    found = r.Detections.Found,
                    worstIou = Finite(r.Detections.WorstIou),
                    missing = r.Detections.Matches.Where(m => m.Model is null).Select(m => new { classId = m.Reference.ClassId, label = Label(m.Reference.ClassId), confidence = Finite(m.Reference.Confidence), x = Finite(m.Reference.X), y = Finite(m.Reference.Y), width = Finite(m.Reference.Width), height = Finite(m.Reference.Height), bestIou = Finite(m.Iou) }),
                };
                stdout.WriteLine(Json.Serialize(new
                {
                    heads = Heads(checkedRun),
                    decoded = decoded is null ? null : new
                    {
                        boxes = decoded.Boxes,
                        maxConfidenceError = decoded.Difference.Confidence,
                        maxCenterError = decoded.Difference.Center,
                        maxSizeRelativeError = decoded.Difference.Size,
                    },
                    worstRelativeError = worst,
                    tolerance = limit,
                    verdictBasis = verdict.Basis,
                    ok,
                    modelSeconds,
                    referenceSeconds,
                    precision = checkedRun.Name,
                    storedWeights = loaded.StoredWeights.Name,
                    format = format.Name,
                    detections = new { threshold = scoreThreshold, modelThreshold = Math.Max(0f, scoreThreshold - VerifyComparison.ScoreSlack), minIou = iouLimit, reference = expected.Count, found = checkedRun.Detections.Found, allFound = checkedRun.Detections.AllFound, nothingCompared = verdict.NothingCompared },
                    runs = runs.Select(r => new { precision = r.Name, heads = Heads(r), worstRelativeError = r.Worst, detections = Detections(r), seconds = r.Seconds }),
                    warnings = WarningOutput.Json(warnings),
                }));
            }
            else
            {
                var fp16 = runs.Count > 1 ? runs[1] : null;
                stdout.WriteLine($"model run {CommonOptions.F(modelSeconds, "0.00")} s, Darknet reference {CommonOptions.F(referenceSeconds, "0.00")} s, input {info.Width}x{info.Height}" +
                    (loaded.StoredWeights == WeightFormat.Fp32 && fp16 is null ? string.Empty : $", stored weights {loaded.StoredWeights}") +
                    (fp16 is null ? string.Empty : $", fp16 emulation {CommonOptions.F(fp16.Seconds, "0.00")} s"));
                for (var i = 0; i < runs[0].Heads.Count; i++)
                {
                    var r = runs[0].Heads[i];
                    var line = $"{r.Head} (layer {r.Layer}, {r.Shape}): max abs error {VerifyComparison.E(r.Abs)}, max rel error {VerifyComparison.E(r.Rel)}{VerifyComparison.NonFinite(r)}";
                    stdout.WriteLine(fp16 is null ? line : $"{line}; fp16 compute: max abs error {VerifyComparison.E(fp16.Heads[i].Abs)}, max rel error {VerifyComparison.E(fp16.Heads[i].Rel)}{VerifyComparison.NonFinite(fp16.Heads[i])}");
                }

                if (decoded is not null)
                {
                    stdout.WriteLine(
                        $"decoded {decoded.Boxes} boxes before NMS vs Darknet's decode of the reference heads{(fp16 is null ? string.Empty : " (fp16 compute)")}: max confidence error {VerifyComparison.E(decoded.Difference.Confidence)}, " +
                        $"max x/y error {VerifyComparison.E(decoded.Difference.Center)}, max w/h relative error {VerifyComparison.E(decoded.Difference.Size)}");
                }

                stdout.WriteLine($"detections (class probability > {CommonOptions.F(scoreThreshold, "0.##")}, NMS {CommonOptions.F(VerifyComparison.NmsIou, "0.##")}): reference {expected.Count}, " +
                    $"model {VerifyComparison.Describe(runs[0].Detections, Label)}" + (fp16 is null ? string.Empty : $"; fp16 compute {VerifyComparison.Describe(fp16.Detections, Label)}") +
                    $" (same class, IoU >= {CommonOptions.F(iouLimit, "0.0#")}, model threshold {CommonOptions.F(Math.Max(0f, scoreThreshold - VerifyComparison.ScoreSlack), "0.0#")})");
                stdout.WriteLine(verdict.Line(fp16 is not null, synthetic));
            }

            return ok ? ExitCodes.Ok : ExitCodes.Mismatch;
        }));
        return command;
    }

    // JSON has no NaN or infinity: a broken head's boxes report null there.
    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    // A fixed, image-like test pattern (0..255) so runs are repeatable without an image file.
    private static Tensor Pattern(int channels, int height, int width)
    {
        var t = new Tensor(new TensorShape(channels, height, width));
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var v = 127.5 + (90 * Math.Sin((x * (0.05 + (0.02 * c))) + (y * 0.03))) + (30 * Math.Cos((x * y * 0.001) + c));
                    t.Data[(((c * height) + y) * width) + x] = (float)Math.Clamp(Math.Round(v), 0, 255);
                }
            }
        }

        return t;
    }
}
