using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Passes;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;

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
        var tolerance = CommonOptions.Number("--tolerance", 1e-4, 0, 1, false, false,
            "Largest allowed |model − reference| per head, relative to the head's largest magnitude.", "1e-4");
        var json = CommonOptions.JsonOutput();
        var strict = WarningOutput.Strict();
        var command = new Command("verify", "Run the model with the built-in Core ML runtime and an independent Darknet-semantics forward pass of CFG + WEIGHTS, and report per head the largest absolute and relative difference. Exits 6 when a head differs by more than --tolerance.")
        {
            cfg, weights, model, image, tolerance, json, strict,
        };
        command.SetAction(parse => CommandRunner.Run(parse, stdout =>
        {
            var limit = parse.GetValue(tolerance);

            using var progress = ProgressLine.Start(parse.InvocationConfiguration.Error, parse.GetValue(json), "verify");
            progress.Step("reading the model, cfg and weights");
            var runtime = CoreMLRuntime.Load(parse.GetRequiredValue(model).ToString());
            var info = runtime.Info;
            var warnings = WarningOutput.Log(parse, strict);
            var (shaped, weighted) = WarningOutput.Read(parse, warnings,
                () => DarknetReader.Read(parse.GetRequiredValue(cfg).ToString(), parse.GetRequiredValue(weights).ToString(), info.Width, info.Height, warnings));
            var channels = info.Grayscale ? 1 : 3;
            var pixels = parse.GetValue(image) is { } file
                ? ImageFiles.Prepare(ImageFiles.Load(file.ToString()), info.Width, info.Height, letterbox: false, info.Grayscale).Pixels
                : Pattern(channels, info.Height, info.Width);

            var watch = Stopwatch.StartNew();
            progress.Step("running the model");
            var outputs = runtime.Run(pixels);
            var modelSeconds = watch.Elapsed.TotalSeconds;

            // The passes run one after the other: only the model's heads stay while the reference runs.
            runtime = null;
            GC.Collect();

            watch.Restart();
            progress.Step("running the Darknet reference");
            var scaled = new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]);
            var reference = DarknetReference.Forward(weighted, shaped, scaled);
            var referenceSeconds = watch.Elapsed.TotalSeconds;

            var rows = new List<(string Head, int Layer, TensorShape Shape, double Abs, double Rel, HeadDifference Diff)>();
            foreach (var (name, shape) in info.Outputs)
            {
                var layer = info.UserDefined.TryGetValue($"head.{name}.layer", out var l) && int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed
                    : throw new DarknetFormatException($"the model's metadata does not say which layer output '{Echo.Of(name)}' comes from (key 'head.{Echo.Of(name)}.layer' missing or not a number).", null,
                        "verify works on models written by yolo4convert.");
                if (!reference.TryGetValue(layer, out var expected))
                {
                    throw new DarknetFormatException($"output '{name}' is said to feed layer {layer}, which is no detection head of the cfg.", null,
                        "pass the cfg the model was converted from.");
                }

                var actual = outputs[name];
                if (actual.Shape != expected.Shape)
                {
                    throw new DarknetFormatException($"output '{name}' is {actual.Shape} but the cfg's head {layer} is {expected.Shape}.", null,
                        "pass the cfg the model was converted from.");
                }

                var diff = HeadDifference.Of(actual, expected);
                rows.Add((name, layer, actual.Shape, diff.MaxAbsolute, diff.MaxRelative, diff));
            }

            progress.Dispose();
            var worst = rows.Max(r => r.Rel);
            var ok = worst <= limit && !rows.Any(r => r.Diff.HasNonFinite);
            var broken = rows.Where(r => r.Diff.HasNonFinite).ToList();
            if (broken.Count > 0)
            {
                parse.InvocationConfiguration.Error.WriteLine(
                    $"error: {broken.Count} head{(broken.Count == 1 ? string.Empty : "s")} hold NaN/Inf values: "
                    + string.Join("; ", broken.Select(r => $"{r.Head} (layer {r.Layer}) {r.Diff.NonFiniteActual:N0} of {r.Shape.Count:N0} in the model, {r.Diff.NonFiniteExpected:N0} in the Darknet reference"))
                    + ". Hint: check the weights for NaN/Inf with 'yolo4convert inspect CFG WEIGHTS'.");
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(Json.Serialize(new
                {
                    heads = rows.Select(r => new { name = r.Head, layer = r.Layer, shape = new[] { r.Shape.C, r.Shape.H, r.Shape.W }, maxAbsoluteError = r.Abs, maxRelativeError = r.Rel, nonFiniteModel = r.Diff.NonFiniteActual, nonFiniteReference = r.Diff.NonFiniteExpected }),
                    worstRelativeError = worst,
                    tolerance = limit,
                    ok,
                    modelSeconds,
                    referenceSeconds,
                }));
            }
            else
            {
                stdout.WriteLine($"model run {CommonOptions.F(modelSeconds, "0.00")} s, Darknet reference {CommonOptions.F(referenceSeconds, "0.00")} s, input {info.Width}x{info.Height}");
                foreach (var r in rows)
                {
                    stdout.WriteLine($"{r.Head} (layer {r.Layer}, {r.Shape}): max abs error {r.Abs.ToString("E2", CultureInfo.InvariantCulture)}, max rel error {r.Rel.ToString("E2", CultureInfo.InvariantCulture)}{(r.Diff.HasNonFinite ? $", NaN/Inf: {r.Diff.NonFiniteActual:N0} in the model, {r.Diff.NonFiniteExpected:N0} in the reference" : string.Empty)}");
                }

                stdout.WriteLine($"worst relative error {worst.ToString("E2", CultureInfo.InvariantCulture)} (tolerance {limit.ToString("E0", CultureInfo.InvariantCulture)}): {(ok ? "ok" : "FAIL")}");
            }

            return ok ? ExitCodes.Ok : ExitCodes.Mismatch;
        }));
        return command;
    }

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
