using System.Text.Json;
using Xunit.Abstractions;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Detection;
using Det = Yolo4Convert.Detection.Detection;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Tests.Runtime;

/// <summary>
/// The --nms pipeline's in-model decoder, run by our runtime, against the decoded boxes and class scores that
/// OpenCV's Darknet importer computes in its own [yolo] / [region] layers; and the real yolo-fastest model's
/// suppressed detections against `detect` on the raw-head model and OpenCV's own post-processing.
/// </summary>
[Trait("Reference", "OpenCV")]
public sealed class PipelineParityTests(ITestOutputHelper log)
{
    private const double Tolerance = 1e-3;

    // Every zoo cfg with a [yolo] or [region] head: scale_x_y (yolov4, tiny), new_coords (csp, x-mish, yolov7-tiny),
    // [region] (yolov2, yolov2-tiny).
    public static TheoryData<string, int> ZooCfgs() => new()
    {
        { "cfg/yolov2-tiny.cfg", 128 }, { "cfg/yolov2.cfg", 128 }, { "cfg/yolov3-tiny.cfg", 128 }, { "cfg/yolov3.cfg", 128 },
        { "cfg/yolov3-spp.cfg", 128 }, { "cfg/yolov4.cfg", 160 }, { "cfg/yolov4-tiny.cfg", 128 }, { "cfg/yolov4-tiny-3l.cfg", 128 },
        { "cfg/yolov4-csp.cfg", 128 }, { "cfg/yolov4x-mish.cfg", 128 }, { "cfg/yolov7-tiny.cfg", 128 }, { "cfg/enet-coco.cfg", 128 },
        { Fixtures.RealModelCfg, 160 },
    };

    [Theory]
    [MemberData(nameof(ZooCfgs))]
    public void Pipeline_SeededZooModel_DecodesAsOpenCv(string cfg, int size)
    {
        // OpenCV folds batch norm with epsilon 1e-6 (Darknet: 1e-5); the raw-head parity tests cover that
        // difference, here the model uses OpenCV's epsilon so that what is compared is the decoding alone.
        var folder = Fixtures.TempFolder();
        var options = new CoreMLWriterOptions { Mish = MishLowering.Stable, BatchNormEpsilon = 1e-6 };
        var model = PipelineTestModel.Create(cfg, size, folder, options);
        var pixels = Fixtures.SyntheticImage(3, size, size);

        var decoded = model.Runtime().Run(pixels).Decoded;
        var (confidence, coordinates) = OpenCvRows(model.CfgPath, model.WeightsPath, pixels, folder, out _);

        var ours = decoded[PipelineWriter.RawConfidenceName];
        Assert.Equal(model.Result.Boxes, coordinates.Length / 4);
        Assert.Equal(confidence.Length, ours.Data.Length);
        var difference = DecodedRows.Compare(ours.Data, decoded[PipelineWriter.RawCoordinatesName].Data, confidence, coordinates);
        var scored = confidence.Count(v => v > 0.01f);
        log.WriteLine($"{cfg}: {model.Result.Boxes} boxes, {scored} scores > 0.01; max |Δconfidence| {difference.Confidence:E2}, max |Δx,y| {difference.Center:E2}, max relative |Δw,h| {difference.Size:E2}");
        Assert.True(scored > 0, "no candidate has a class score above 0.01; the comparison would not test confidences");
        Assert.True(difference.Worst < Tolerance, $"{cfg}: decoded rows differ from OpenCV's by {difference}");
    }

    [Theory]
    [InlineData("images/dog.jpg")]
    [InlineData("images/person.jpg")]
    [InlineData("images/horses.jpg")]
    public void Pipeline_RealYoloFastest_EqualsRawDetectAndOpenCv(string image)
    {
        var folder = Fixtures.TempFolder();
        var weights = Fixtures.Shared(Fixtures.RealModelWeights);
        var names = File.ReadAllLines(Fixtures.Shared("cfg/coco.names"));
        var pipeline = PipelineTestModel.Create(Fixtures.RealModelCfg, null, folder, new CoreMLWriterOptions { ClassNames = names }, weights: weights).Runtime();
        var raw = TestModel.Create(Fixtures.RealModelCfg, null, folder, weights: weights).Runtime();
        var pixels = OpenCvParityTests.RealImage(image, folder);
        const float Threshold = 0.25f, Iou = 0.45f;

        var result = pipeline.Run(pixels);
        var ours = PipelineDetections.FromRows(result.Boxes);
        var heads = raw.Run(pixels);
        var detect = YoloDecoder.Nms(HeadSpec.FromMetadata(raw.Info).SelectMany(h => YoloDecoder.Decode(h, heads[h.OutputName], raw.Info.Width, raw.Info.Height, Threshold)), Iou);
        log.WriteLine($"{image}: model {Describe(ours, names)}");
        log.WriteLine($"{image}: raw detect {Describe(detect, names)}");

        // Every box the model keeps is one `detect` reports: same class and confidence, box within 1 px.
        const double Pixel = 1.0 / 320;
        static bool Same(Det a, Det b, double px) => a.ClassId == b.ClassId && Math.Abs(a.Confidence - b.Confidence) < 1e-5
            && Math.Abs(a.X - b.X) < px && Math.Abs(a.Y - b.Y) < px && Math.Abs(a.Width - b.Width) < px && Math.Abs(a.Height - b.Height) < px;
        Assert.NotEmpty(ours);
        Assert.All(ours, d => Assert.Contains(detect, e => Same(d, e, Pixel)));

        // `detect` follows Darknet, which lists every class above the threshold per box and suppresses per class;
        // Core ML's NMS keeps one row per box, labelled by its best class (the other classes stay in the row).
        // Whatever detect adds must be such a second class: a candidate whose best class is another one.
        var rows = result.Decoded[PipelineWriter.RawCoordinatesName].Data;
        var scores = result.Decoded[PipelineWriter.RawConfidenceName].Data;
        var extra = detect.Where(e => !ours.Any(d => Same(d, e, Pixel))).ToList();
        foreach (var e in extra)
        {
            var row = Enumerable.Range(0, rows.Length / 4).Single(r => Math.Abs(scores[(r * names.Length) + e.ClassId] - e.Confidence) < 1e-5
                && Math.Abs(rows[4 * r] - e.X) < 1e-5 && Math.Abs(rows[(4 * r) + 1] - e.Y) < 1e-5);
            var candidate = scores.AsSpan(row * names.Length, names.Length).ToArray();
            var best = Array.IndexOf(candidate, candidate.Max());
            Assert.True(best != e.ClassId, $"detect's {names[e.ClassId]} {e.Confidence:F3} is its box's best class but the model dropped it");
        }

        log.WriteLine($"{image}: {ours.Count} kept by the model, all found by detect; detect adds {extra.Count} second-class labels");

        // The objects OpenCV's own post-processing finds (best class per row, NMSBoxes per class).
        OpenCvRows(Fixtures.Shared(Fixtures.RealModelCfg), weights, pixels, folder, out var openCv, Threshold, Iou);
        log.WriteLine($"{image}: OpenCV {string.Join(", ", openCv.Select(o => names[o.ClassId]))}");
        Assert.Equal(openCv.Select(o => names[o.ClassId]).Order(), ours.Select(d => names[d.ClassId]).Order());
        Assert.All(ours, d => Assert.Contains(openCv, o => Same(d, o with { Confidence = d.Confidence }, 3 * Pixel)));
    }

    private static string Describe(IEnumerable<Det> detections, string[] names) =>
        string.Join(", ", detections.Select(d => $"{names[d.ClassId]} {d.Confidence:F3}"));

    // OpenCV's decoded rows (x, y, w, h, objectness, scores), split into our confidence and coordinate rows.
    private static (float[] Confidence, float[] Coordinates) OpenCvRows(string cfg, string weights, Tensor pixels, string folder,
        out List<Det> detections, float threshold = 0, float iou = 0)
    {
        var input = Path.Combine(folder, "input.bin");
        var output = Path.Combine(folder, "decoded.bin");
        Fixtures.WriteTensor(pixels, input);
        var args = new List<string> { Fixtures.Repo("tests/python/opencv_decoded.py"), cfg, weights, input, output };
        if (threshold > 0)
        {
            args.AddRange(["--detect", threshold.ToString(System.Globalization.CultureInfo.InvariantCulture), iou.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        var stdout = Fixtures.Python([.. args]);
        detections = threshold > 0
            ? [.. JsonSerializer.Deserialize<double[][]>(stdout)!.Select(r => new Det((int)r[0], (float)r[1], (float)r[2], (float)r[3], (float)r[4], (float)r[5]))]
            : [];
        using var reader = new BinaryReader(File.OpenRead(output));
        var confidence = new List<float>();
        var coordinates = new List<float>();
        var heads = reader.ReadInt32();
        for (var h = 0; h < heads; h++)
        {
            var (rows, columns) = (reader.ReadInt32(), reader.ReadInt32());
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    var v = reader.ReadSingle();
                    if (c < 4)
                    {
                        coordinates.Add(v);
                    }
                    else if (c > 4)
                    {
                        confidence.Add(v);
                    }
                }
            }
        }

        return ([.. confidence], [.. coordinates]);
    }
}
