using Xunit.Abstractions;
using Yolo4Convert.CoreML;
using Yolo4Convert.Detection;
using Yolo4Convert.Numerics;
using Yolo4Convert.Runtime;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Tests.Runtime;

/// <summary>
/// Models with half-precision and quantized weights, run by our runtime, against OpenCV's Darknet importer (raw heads)
/// and against the float32 model's detections on the real yolo-fastest and the shared photos.
/// </summary>
[Trait("Reference", "OpenCV")]
public sealed class HalfPrecisionParityTests(ITestOutputHelper log)
{
    private const double Tolerance = 1e-2;

    public static TheoryData<string, int> ZooCfgs()
    {
        var data = new TheoryData<string, int>();
        foreach (var row in OpenCvParityTests.ZooCfgs().Where(r => (string)r[2] == "custom"))
        {
            data.Add((string)row[0], (int)row[1]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ZooCfgs))]
    public void Runtime_SeededZooModelWithFp16Weights_MatchesOpenCvWithinOnePercent(string cfg, int size)
    {
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(cfg, size, folder, new CoreMLWriterOptions { Precision = WeightFormat.Fp16 });
        var pixels = Fixtures.SyntheticImage(3, size, size);
        var runtime = model.Runtime();

        var stored = runtime.Run(pixels);
        var emulated = runtime.Run(pixels, ComputePrecision.Fp16);
        var theirs = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        Assert.Equal(WeightFormat.Fp16, runtime.StoredWeights);
        Assert.Equal(model.Result.Heads.Count, theirs.Count);
        for (var i = 0; i < theirs.Count; i++)
        {
            var name = model.Result.Heads[i].OutputName;
            var error = Fixtures.RelativeError(stored[name], theirs[i]);
            var halfError = Fixtures.RelativeError(emulated[name], theirs[i]);
            log.WriteLine($"{cfg} head {i}: relative error {error:E2} with fp16 weights, {halfError:E2} also computing in fp16");
            Assert.True(error < Tolerance, $"{cfg} head {i}: relative error {error:E2} exceeds {Tolerance:E0}");
            Assert.True(halfError < Tolerance, $"{cfg} head {i}: relative error {halfError:E2} in half-precision compute exceeds {Tolerance:E0}");
            Assert.True(error > 0, "fp16 weights should differ from the float32 reference at all");
        }
    }

    [Theory]
    [InlineData("images/dog.jpg")]
    [InlineData("images/person.jpg")]
    [InlineData("images/horses.jpg")]
    public void Detect_RealYoloFastestFp16AndLinear8_FindEveryFp32Detection(string image)
    {
        var folder = Fixtures.TempFolder();
        var weights = Fixtures.Shared(Fixtures.RealModelWeights);
        var fp32 = TestModel.Create(Fixtures.RealModelCfg, null, folder, weights: weights).Runtime();
        var fp16 = TestModel.Create(Fixtures.RealModelCfg, null, folder, new CoreMLWriterOptions { Precision = WeightFormat.Fp16 }, weights: weights).Runtime();
        var linear8 = TestModel.Create(Fixtures.RealModelCfg, null, folder, new CoreMLWriterOptions { Quantization = WeightFormat.Linear8 }, weights: weights).Runtime();
        var pixels = OpenCvParityTests.RealImage(image, folder);

        var expected = Detect(fp32, pixels, 0.5f);
        Assert.NotEmpty(expected);
        foreach (var (runtime, name, minIou) in new[] { (fp16, "fp16", 0.9f), (linear8, "linear8", 0.8f) })
        {
            var found = Detect(runtime, pixels, 0.4f);
            foreach (var d in expected)
            {
                var best = found.Where(f => f.ClassId == d.ClassId).Select(f => YoloDecoder.Iou(f, d)).DefaultIfEmpty(0f).Max();
                log.WriteLine($"{image} {name}: class {d.ClassId} ({d.Confidence:F2}) best IoU {best:F3}");
                Assert.True(best >= minIou, $"{image}: the {name} model misses class {d.ClassId} ({d.Confidence:F2}); best IoU {best:F3} < {minIou}");
            }
        }
    }

    private static List<Yolo4Convert.Detection.Detection> Detect(CoreMLRuntime runtime, Tensor pixels, float threshold)
    {
        var outputs = runtime.Run(pixels);
        return YoloDecoder.Nms(HeadSpec.FromMetadata(runtime.Info).SelectMany(h => YoloDecoder.Decode(h, outputs[h.OutputName], runtime.Info.Width, runtime.Info.Height, threshold)), 0.45f);
    }
}
