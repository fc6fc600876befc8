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
        var tolerance = new Option<double>("--tolerance")
        {
            Description = "Largest allowed |model − reference| per head, relative to the head's largest magnitude.",
            DefaultValueFactory = _ => 1e-4,
        };
        var json = CommonOptions.JsonOutput();
        var command = new Command("verify", "Run the model with the built-in Core ML runtime and an independent Darknet-semantics forward pass of CFG + WEIGHTS, and report per head the largest absolute and relative difference. Exits 6 when a head differs by more than --tolerance.")
        {
            cfg, weights, model, image, tolerance, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, stdout =>
        {
            var limit = parse.GetValue(tolerance);
            if (limit is <= 0 or >= 1)
            {
                throw new UsageException("--tolerance must be between 0 and 1 (e.g. 1e-4).");
            }

            // The two passes run one after the other and keep only the heads they compare; the inputs are all
            // checked first, so a wrong cfg or weights file fails before anything runs.
            var runtime = CoreMLRuntime.Load(parse.GetRequiredValue(model).ToString());
            var info = runtime.Info;
            var cfgPath = parse.GetRequiredValue(cfg).ToString();
            var weightsPath = parse.GetRequiredValue(weights).ToString();
            var shaped = DarknetReader.ReadCfg(File.ReadAllText(cfgPath), cfgPath, info.Width, info.Height);
            using (var check = File.OpenRead(weightsPath))
            {
                DarknetWeightsReader.Validate(shaped, check, weightsPath);
            }

            var channels = info.Grayscale ? 1 : 3;
            var pixels = parse.GetValue(image) is { } file
                ? ImageFiles.Prepare(ImageFiles.Load(file.ToString()), info.Width, info.Height, letterbox: false, info.Grayscale).Pixels
                : Pattern(channels, info.Height, info.Width);

            var watch = Stopwatch.StartNew();
            var outputs = runtime.Run(pixels);
            var modelSeconds = watch.Elapsed.TotalSeconds;
            runtime = null;
            GC.Collect();

            watch.Restart();
            var scaled = new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]);
            var reference = Reference(shaped, weightsPath, scaled);
            var referenceSeconds = watch.Elapsed.TotalSeconds;

            var rows = new List<(string Head, int Layer, TensorShape Shape, double Abs, double Rel)>();
            foreach (var (name, shape) in info.Outputs)
            {
                var layer = info.UserDefined.TryGetValue($"head.{name}.layer", out var l) ? int.Parse(l, CultureInfo.InvariantCulture)
                    : throw new DarknetFormatException($"the model's metadata does not say which layer output '{name}' comes from.", null,
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

                double abs = 0;
                for (var i = 0; i < actual.Data.Length; i++)
                {
                    abs = Math.Max(abs, Math.Abs((double)actual.Data[i] - expected.Data[i]));
                }

                rows.Add((name, layer, actual.Shape, abs, abs / Math.Max(expected.MaxAbs(), 1e-12)));
            }

            var worst = rows.Max(r => r.Rel);
            var ok = worst <= limit;
            if (parse.GetValue(json))
            {
                stdout.WriteLine(Json.Serialize(new
                {
                    heads = rows.Select(r => new { name = r.Head, layer = r.Layer, shape = new[] { r.Shape.C, r.Shape.H, r.Shape.W }, maxAbsoluteError = r.Abs, maxRelativeError = r.Rel }),
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
                    stdout.WriteLine($"{r.Head} (layer {r.Layer}, {r.Shape}): max abs error {r.Abs.ToString("E2", CultureInfo.InvariantCulture)}, max rel error {r.Rel.ToString("E2", CultureInfo.InvariantCulture)}");
                }

                stdout.WriteLine($"worst relative error {worst.ToString("E2", CultureInfo.InvariantCulture)} (tolerance {limit.ToString("E0", CultureInfo.InvariantCulture)}): {(ok ? "ok" : "FAIL")}");
            }

            return ok ? ExitCodes.Ok : ExitCodes.Mismatch;
        }));
        return command;
    }

    // Reads the weights and runs the Darknet pass; the weights are garbage once it returns.
    private static IReadOnlyDictionary<int, Tensor> Reference(ShapedNetwork shaped, string weightsPath, Tensor input)
    {
        WeightedNetwork weighted;
        using (var stream = new FileStream(weightsPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            weighted = DarknetWeightsReader.Read(shaped, stream, weightsPath);
        }

        return DarknetReference.Forward(weighted, shaped, input);
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
