using Yolo4Convert.CoreML;
using Yolo4Convert.Detection;
using Xunit.Abstractions;
using Yolo4Convert.Numerics;

namespace Yolo4Convert.Tests.Runtime;

/// <summary>
/// Our converted models, run by our runtime, against OpenCV's Darknet importer (an independent implementation)
/// on the same input: every raw head must agree within 1e-3 of its largest magnitude.
/// </summary>
[Trait("Reference", "OpenCV")]
public sealed class OpenCvParityTests(ITestOutputHelper log)
{
    private const double Tolerance = 1e-3;

    // Reduced input sizes keep the suite fast; each is a multiple of the cfg's largest stride.
    public static TheoryData<string, int, string> ZooCfgs()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var (cfg, size) in new (string, int)[]
        {
            ("cfg/yolov2-tiny.cfg", 128), ("cfg/yolov2.cfg", 128), ("cfg/yolov3-tiny.cfg", 128), ("cfg/yolov3.cfg", 128),
            ("cfg/yolov3-spp.cfg", 128), ("cfg/yolov4.cfg", 160), ("cfg/yolov4-tiny.cfg", 128), ("cfg/yolov4-tiny-3l.cfg", 128),
            ("cfg/yolov4-csp.cfg", 128), ("cfg/yolov4x-mish.cfg", 128), ("cfg/yolov7-tiny.cfg", 128), ("cfg/enet-coco.cfg", 128),
        })
        {
            data.Add(cfg, size, "custom");
            if (File.ReadAllText(Fixtures.Shared(cfg)).Contains("activation=mish", StringComparison.Ordinal))
            {
                data.Add(cfg, size, "native");
                data.Add(cfg, size, "stable");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ZooCfgs))]
    public void Runtime_SeededZooModel_MatchesOpenCv(string cfg, int size, string mish)
    {
        var folder = Fixtures.TempFolder();
        var options = new CoreMLWriterOptions { Mish = Enum.Parse<MishLowering>(mish == "custom" ? "CustomLayer" : mish, ignoreCase: true) };
        var model = TestModel.Create(cfg, size, folder, options);
        var pixels = Fixtures.SyntheticImage(3, size, size);

        var ours = model.Runtime().Run(pixels);
        var theirs = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        Assert.Equal(model.Result.Heads.Count, theirs.Count);
        for (var i = 0; i < theirs.Count; i++)
        {
            var error = Fixtures.RelativeError(ours[model.Result.Heads[i].OutputName], theirs[i]);
            log.WriteLine($"{cfg} {mish} head {i} {theirs[i].Shape}: relative error {error:E2}, max |head| {theirs[i].MaxAbs():G4}");
            Assert.True(error < Tolerance, $"{cfg} head {i}: relative error {error:E2} exceeds {Tolerance:E0}");
        }
    }

    // The narrower matrix-product kernels (the fallbacks of processors without AVX-512 or AVX2), forced, on models
    // with 1x1, 3x3, stride-2 and grouped convolutions.
    [Theory]
    [InlineData(GemmIsa.Vector256, "cfg/yolov4-tiny.cfg")]
    [InlineData(GemmIsa.Scalar, "cfg/yolov4-tiny.cfg")]
    [InlineData(GemmIsa.Vector256, "cfg/yolov7-tiny.cfg")]
    [InlineData(GemmIsa.Scalar, "cfg/enet-coco.cfg")]
    public void Runtime_ForcedNarrowKernels_MatchesOpenCv(GemmIsa isa, string cfg)
    {
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(cfg, 128, folder, new CoreMLWriterOptions());
        var pixels = Fixtures.SyntheticImage(3, 128, 128);

        var ours = GemmKernels.WithIsa(isa, () => (GemmKernels.Current, model.Runtime().Run(pixels)));
        var theirs = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        Assert.Equal(isa, ours.Current);
        for (var i = 0; i < theirs.Count; i++)
        {
            var error = Fixtures.RelativeError(ours.Item2[model.Result.Heads[i].OutputName], theirs[i]);
            log.WriteLine($"{cfg} {isa} head {i}: relative error {error:E2}");
            Assert.True(error < Tolerance, $"{cfg} {isa} head {i}: relative error {error:E2} exceeds {Tolerance:E0}");
        }
    }

    [Theory]
    [InlineData("images/dog.jpg")]
    [InlineData("images/person.jpg")]
    [InlineData("images/horses.jpg")]
    public void Runtime_RealYoloFastest_MatchesOpenCv(string image)
    {
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(Fixtures.RealModelCfg, null, folder, weights: Fixtures.Shared(Fixtures.RealModelWeights));
        var pixels = RealImage(image, folder);

        var ours = model.Runtime().Run(pixels);
        var theirs = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        Assert.Equal(2, theirs.Count);
        for (var i = 0; i < theirs.Count; i++)
        {
            var error = Fixtures.RelativeError(ours[model.Result.Heads[i].OutputName], theirs[i]);
            log.WriteLine($"{image} head {i} {theirs[i].Shape}: relative error {error:E2}");
            Assert.True(error < Tolerance, $"{image} head {i}: relative error {error:E2} exceeds {Tolerance:E0}");
        }
    }

    [Fact]
    public void Decode_RealYoloFastestOnDog_FindsDogBicycleAndCar()
    {
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(Fixtures.RealModelCfg, null, folder, weights: Fixtures.Shared(Fixtures.RealModelWeights));
        var runtime = model.Runtime();
        var outputs = runtime.Run(RealImage(Fixtures.DogImage, folder));
        var names = File.ReadAllLines(Fixtures.Shared("cfg/coco.names"));

        var found = HeadSpec.FromMetadata(runtime.Info)
            .SelectMany(h => YoloDecoder.Decode(h, outputs[h.OutputName], runtime.Info.Width, runtime.Info.Height, 0.5f))
            .Select(d => names[d.ClassId])
            .ToHashSet();
        log.WriteLine("found: " + string.Join(", ", found));

        Assert.Contains("dog", found);
        Assert.Contains("bicycle", found);
        Assert.Contains("car", found);
    }

    [Fact]
    public void Runtime_RealYoloFastestWithOpenCvEpsilon_MatchesOpenCvToFloatPrecision()
    {
        // The remaining difference on real weights is OpenCV's BN epsilon (1e-6 instead of Darknet's 1e-5):
        // with OpenCV's epsilon the two implementations agree to float rounding.
        var folder = Fixtures.TempFolder();
        var options = new CoreMLWriterOptions { BatchNormEpsilon = 1e-6 };
        var model = TestModel.Create(Fixtures.RealModelCfg, null, folder, options, weights: Fixtures.Shared(Fixtures.RealModelWeights));
        var pixels = RealImage(Fixtures.DogImage, folder);

        var ours = model.Runtime().Run(pixels);
        var theirs = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        for (var i = 0; i < theirs.Count; i++)
        {
            var error = Fixtures.RelativeError(ours[model.Result.Heads[i].OutputName], theirs[i]);
            log.WriteLine($"head {i}: relative error {error:E2} with epsilon 1e-6");
            Assert.True(error < 2e-5, $"head {i}: relative error {error:E2}");
        }
    }

    [Theory]
    [InlineData("same-padding")]
    [InlineData("epsilon-1e-3")]
    public void Runtime_WrongLowering_FailsTheParityCheck(string wrong)
    {
        // Core ML "same" padding on stride-2 convs and Keras' BN epsilon are the classic converter bugs;
        // the parity check must catch each of them.
        var folder = Fixtures.TempFolder();
        var options = wrong == "same-padding" ? new CoreMLWriterOptions { NaiveSamePadding = true } : new CoreMLWriterOptions { BatchNormEpsilon = 1e-3 };
        var model = TestModel.Create(Fixtures.RealModelCfg, null, folder, options, weights: Fixtures.Shared(Fixtures.RealModelWeights));
        var pixels = RealImage(Fixtures.DogImage, folder);

        var ours = model.Runtime().Run(pixels);
        var theirs = Fixtures.OpenCvHeads(model.CfgPath, model.WeightsPath, pixels, folder);

        var worst = theirs.Select((t, i) => Fixtures.RelativeError(ours[model.Result.Heads[i].OutputName], t)).Max();
        log.WriteLine($"wrong lowering {wrong}: worst relative error {worst:E2}");
        Assert.True(worst > 10 * Tolerance, $"the wrong lowering '{wrong}' came within {worst:E2} of OpenCV");
    }

    internal static Tensor RealImage(string image, string folder)
    {
        var path = Path.Combine(folder, Path.GetFileName(image) + ".bin");
        Fixtures.Python(Fixtures.Repo("tests/python/image_pixels.py"), Fixtures.Shared(image), "320", "320", path);
        return Fixtures.ReadTensor(path);
    }
}
