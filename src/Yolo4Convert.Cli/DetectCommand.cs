using System.Collections.Immutable;
using System.CommandLine;
using Yolo4Convert.CoreML;
using Yolo4Convert.Detection;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Cli;

/// <summary>`detect MODEL IMAGE`: runs a converted model on an image with the built-in runtime.</summary>
internal static class DetectCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("MODEL") { Description = "A .mlmodel or .mlpackage written by yolo4convert." };
        var image = new Argument<FileInfo>("IMAGE") { Description = "A JPEG or PNG image." };
        var names = new Option<FileInfo?>("--names") { Description = "Class names file; defaults to the names stored in the model, else class numbers." };
        var threshold = CommonOptions.Number("--threshold", 0.25f, 0, 1, true, true, "Minimum class probability (objectness × class score).", "0.25");
        var iou = CommonOptions.Number("--iou", 0.45f, 0, 1, true, true, "IoU above which a weaker box of the same class is suppressed.", "0.45");
        var maxDetections = CommonOptions.Count("--max-detections", 300, 1, 100_000, "Report at most this many detections, the strongest; a line on stderr says when more were found.");
        var output = new Option<FileInfo?>("--out")
        {
            Description = "Write the image with Darknet-style boxes (one per object, all its classes in the label) to this file; .png or .jpg/.jpeg picks the format.",
            HelpName = "FILE",
        };
        var json = CommonOptions.JsonOutput();
        var command = new Command("detect", "Run a converted model on an image with the built-in CPU runtime (no Mac needed) and print one line per detection: class, confidence, box in pixels (left, top, width, height).")
        {
            model, image, names, threshold, iou, maxDetections, output, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, stdout =>
        {
            var thresholdValue = parse.GetValue(threshold);
            var iouValue = parse.GetValue(iou);
            var outFile = parse.GetValue(output);
            if (outFile is not null)
            {
                InputFiles.RefuseFolder("--out", outFile.ToString(), "boxes.png");
            }

            var format = outFile is null ? default : DetectionDrawing.FormatFor(outFile.Name);
            var namesFile = parse.GetValue(names);
            var imagePath = parse.GetRequiredValue(image).ToString();
            using var outputs = OutputTransaction.Begin(
                [("MODEL", parse.GetRequiredValue(model).ToString()), ("IMAGE", imagePath), ("--names", namesFile?.ToString())],
                [("--out", outFile?.ToString())],
                parse.InvocationConfiguration.Error);
            InputFiles.Require(("MODEL", parse.GetRequiredValue(model).ToString()), ("IMAGE", imagePath), ("--names", namesFile?.ToString()));

            var loaded = LoadedModel.Load(parse.GetRequiredValue(model).ToString());
            var info = loaded.Info;
            var metadata = ModelMetadata.Read(info);
            var heads = metadata.Heads.Select(HeadSpec.From).ToImmutableArray();
            var modelLabels = loaded.Pipeline?.Labels;
            var classNames = namesFile is not null ? ClassNames.Read(namesFile, heads.Select(h => h.Classes).DefaultIfEmpty(0).Max(), "the model's heads")
                : modelLabels is { Count: > 0 } ? modelLabels
                : metadata.ClassNames;
            var original = ImageFiles.Load(imagePath);
            var letterbox = metadata.Letterbox;
            var (pixels, toImage) = ImageFiles.Prepare(original, info.Width, info.Height, letterbox, info.Grayscale);
            List<Detection.Detection> kept;
            bool capped;
            if (loaded.Pipeline is { } pipeline)
            {
                // A detector pipeline decodes and suppresses inside the model: show what it returns. Thresholds given
                // on the command line go to the model's optional inputs, as an app would pass them.
                var found = PipelineDetections.Run(pipeline, pixels,
                    parse.GetResult(iou) is { Implicit: false } ? iouValue : null,
                    parse.GetResult(threshold) is { Implicit: false } ? thresholdValue : null);
                var max = parse.GetValue(maxDetections);
                (kept, capped) = ([.. found.Take(max)], found.Count > max);
            }
            else
            {
                // Suppressed as Darknet's detector test does: with the cfg's nms_kind, on boxes already mapped to the
                // image (correct_yolo_boxes runs before do_nms_sort / diounms_sort; DIoU depends on the axes' scale).
                var outputsByName = loaded.Network!.Run(pixels);
                var candidates = heads.SelectMany(h => YoloDecoder.Decode(h, outputsByName[h.OutputName], info.Width, info.Height, thresholdValue)).Select(toImage);
                (kept, capped) = CappedNms.Run(candidates, iouValue, parse.GetValue(maxDetections), metadata.Nms);
            }

            var detections = loaded.Pipeline is null ? kept : kept.Select(toImage).ToList();
            string Label(int id) => classNames is not null && id < classNames.Count ? classNames[id] : $"class{id}";
            // Boxes in image pixels, clamped to the image: a decoded box may reach past its edge.
            var boxes = detections.Select(d => (
                d.ClassId, Label: Label(d.ClassId), d.Confidence,
                Box: new ImageBox((d.X - (d.Width / 2)) * original.W, (d.Y - (d.Height / 2)) * original.H, d.Width * original.W, d.Height * original.H)
                    .ClampedTo(original.W, original.H))).ToList();

            if (outFile is not null)
            {
                var objects = DetectionDrawing.Group(boxes);
                outputs.Write(outFile.ToString(), s =>
                {
                    DetectionDrawing.Draw(imagePath, objects, format, s);
                    return 0;
                });
            }

            if (capped)
            {
                parse.InvocationConfiguration.Error.WriteLine(
                    $"note: more than {boxes.Count} detections above {thresholdValue.ToString(System.Globalization.CultureInfo.InvariantCulture)}; showing the {boxes.Count} strongest (--max-detections).");
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(Json.Serialize(boxes.Select(b => (b.Label, b.Confidence, Box: b.Box.Rounded(1))).Select(b => new
                {
                    label = b.Label,
                    confidence = b.Confidence,
                    left = b.Box.Left,
                    top = b.Box.Top,
                    width = b.Box.Width,
                    height = b.Box.Height,
                })));
            }
            else
            {
                foreach (var b in boxes)
                {
                    var box = b.Box.Rounded(0);
                    stdout.WriteLine($"{b.Label}: {CommonOptions.F(b.Confidence * 100, "0")}%  left={CommonOptions.F(box.Left, "0")} top={CommonOptions.F(box.Top, "0")} width={CommonOptions.F(box.Width, "0")} height={CommonOptions.F(box.Height, "0")}");
                }

                if (boxes.Count == 0)
                {
                    stdout.WriteLine(loaded.Pipeline is null || parse.GetResult(threshold) is { Implicit: false }
                        ? $"no detections above {thresholdValue}" : $"no detections above the model's confidence threshold {loaded.Pipeline.Thresholds.Confidence}");
                }
            }

            // Printed before the image is committed: a run that cannot print fails and leaves an existing file alone.
            stdout.Flush();
            outputs.Commit();
            return ExitCodes.Ok;
        }));
        return command;
    }
}
