using System.CommandLine;
using Yolo4Convert.Detection;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Cli;

/// <summary>`detect MODEL IMAGE`: runs a converted model on an image with the built-in runtime.</summary>
internal static class DetectCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "A .mlmodel written by yolo4convert." };
        var image = new Argument<FileInfo>("IMAGE") { Description = "A JPEG or PNG image." };
        var names = new Option<FileInfo?>("--names") { Description = "Class names file; defaults to the names stored in the model, else class numbers." };
        var threshold = new Option<float>("--threshold") { Description = "Minimum class probability (objectness × class score).", DefaultValueFactory = _ => 0.25f };
        var iou = new Option<float>("--iou") { Description = "IoU above which a weaker box of the same class is suppressed.", DefaultValueFactory = _ => 0.45f };
        var output = new Option<FileInfo?>("--out") { Description = "Write the image with labelled boxes to this PNG file." };
        var json = CommonOptions.JsonOutput();
        var command = new Command("detect", "Run a converted model on an image with the built-in CPU runtime (no Mac needed) and print one line per detection: class, confidence, box in pixels (left, top, width, height).")
        {
            model, image, names, threshold, iou, output, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, stdout =>
        {
            var thresholdValue = parse.GetValue(threshold);
            var iouValue = parse.GetValue(iou);
            if (thresholdValue is < 0 or > 1 || iouValue is < 0 or > 1)
            {
                throw new UsageException("--threshold and --iou must be between 0 and 1.");
            }

            var loaded = LoadedModel.Load(parse.GetRequiredValue(model).ToString());
            var info = loaded.Info;
            var imagePath = parse.GetRequiredValue(image).ToString();
            var original = ImageFiles.Load(imagePath);
            var letterbox = info.UserDefined.TryGetValue("input.resize", out var resize) && resize == "letterbox";
            var (pixels, toImage) = ImageFiles.Prepare(original, info.Width, info.Height, letterbox, info.Grayscale);
            IReadOnlyList<string>? modelLabels = null;
            List<Detection.Detection> found;
            if (loaded.Pipeline is { } pipeline)
            {
                // A detector pipeline decodes and suppresses inside the model: show what it returns. Thresholds given
                // on the command line go to the model's optional inputs, as an app would pass them.
                found = PipelineDetections.Run(pipeline, pixels,
                    parse.GetResult(iou) is { Implicit: false } ? iouValue : null,
                    parse.GetResult(threshold) is { Implicit: false } ? thresholdValue : null);
                modelLabels = pipeline.Labels;
            }
            else
            {
                var outputs = loaded.Network!.Run(pixels);
                var heads = HeadSpec.FromMetadata(info);
                var candidates = heads.SelectMany(h => YoloDecoder.Decode(h, outputs[h.OutputName], info.Width, info.Height, thresholdValue));
                found = YoloDecoder.Nms(candidates, iouValue);
            }

            var detections = found.Select(toImage).ToList();
            var classNames = parse.GetValue(names) is { } n ? ConvertCommand.ReadNames(n)
                : modelLabels is { Count: > 0 } ? modelLabels
                : info.UserDefined.TryGetValue("classes", out var stored) ? stored.Split(',') : null;
            string Label(int id) => classNames is not null && id < classNames.Count ? classNames[id] : $"class{id}";
            var boxes = detections.Select(d => (
                Label: Label(d.ClassId), d.Confidence,
                Left: (d.X - (d.Width / 2)) * original.W, Top: (d.Y - (d.Height / 2)) * original.H,
                Width: d.Width * original.W, Height: d.Height * original.H)).ToList();

            if (parse.GetValue(output) is { } png)
            {
                AtomicFile.Write(png.ToString(), s =>
                {
                    ImageFiles.DrawPng(imagePath, boxes.Select(b => ($"{b.Label} {CommonOptions.F(b.Confidence * 100, "0")}%", b.Left, b.Top, b.Width, b.Height)), s);
                    return 0;
                });
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(Json.Serialize(boxes.Select(b => new
                {
                    label = b.Label,
                    confidence = b.Confidence,
                    left = MathF.Round(b.Left, 1),
                    top = MathF.Round(b.Top, 1),
                    width = MathF.Round(b.Width, 1),
                    height = MathF.Round(b.Height, 1),
                })));
            }
            else
            {
                foreach (var b in boxes)
                {
                    stdout.WriteLine($"{b.Label}: {CommonOptions.F(b.Confidence * 100, "0")}%  left={CommonOptions.F(b.Left, "0")} top={CommonOptions.F(b.Top, "0")} width={CommonOptions.F(b.Width, "0")} height={CommonOptions.F(b.Height, "0")}");
                }

                if (boxes.Count == 0)
                {
                    stdout.WriteLine(loaded.Pipeline is null || parse.GetResult(threshold) is { Implicit: false }
                        ? $"no detections above {thresholdValue}" : $"no detections above the model's confidence threshold {loaded.Pipeline.Thresholds.Confidence}");
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
