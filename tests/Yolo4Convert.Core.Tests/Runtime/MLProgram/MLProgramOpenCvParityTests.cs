using Xunit.Abstractions;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.MLProgram;
using Yolo4Convert.Darknet;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.Runtime.MLProgram;

/// <summary>
/// fp32 ML Program packages of the zoo, run by our package runtime, against OpenCV's Darknet importer (an independent
/// implementation) on the same input: every raw head within the .mlmodel parity tests' 1e-3 of its largest magnitude.
/// </summary>
[Trait("Reference", "OpenCV")]
public sealed class MLProgramOpenCvParityTests(ITestOutputHelper log)
{
    private const double Tolerance = 1e-3;

    public static TheoryData<string, int, MishLowering> ZooCfgs()
    {
        var data = new TheoryData<string, int, MishLowering>();
        foreach (var cfg in Fixtures.KnownWeightSizes.Keys.Where(k => k.StartsWith("cfg/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var size = cfg == "cfg/yolov4.cfg" ? 160 : 128;
            data.Add(cfg, size, MishLowering.Stable);
            if (cfg == "cfg/yolov4.cfg")
            {
                data.Add(cfg, size, MishLowering.Native); // the textbook form, once
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ZooCfgs))]
    public void Fp32Package_OfTheSeededZooModel_MatchesOpenCv(string cfg, int size, MishLowering mish)
    {
        var folder = Fixtures.TempFolder();
        var cfgPath = Fixtures.CfgAtSize(cfg, size, folder);
        var weightsPath = Fixtures.SeededWeightsFile(cfg);
        var shaped = DarknetReader.Read(TestFiles.Open(cfgPath), TestFiles.Open(weightsPath)).Shaped;
        var package = Path.Combine(folder, "model.mlpackage");
        using (var weights = DarknetWeightsFile.Open(shaped, TestFiles.Open(weightsPath)))
        {
            new MLProgramWriter(new CoreMLWriterOptions { Precision = Yolo4Convert.Weights.WeightFormat.Fp32, Mish = mish }).Write(shaped, weights, path =>
            {
                var file = Path.Combine(package, path);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                return File.Create(file);
            });
        }

        var model = LoadedModel.Load(TestFiles.OpenFolder(package));
        var pixels = Fixtures.SyntheticImage(3, size, size);
        var ours = model.Network!.Run(pixels);
        var theirs = Fixtures.OpenCvHeads(cfgPath, weightsPath, pixels, folder);

        Assert.Equal(theirs.Count, model.Info.Outputs.Length);
        var i = 0;
        foreach (var (name, _) in model.Info.Outputs)
        {
            var error = Fixtures.RelativeError(ours[name], theirs[i]);
            log.WriteLine($"{cfg} {mish} {name} {theirs[i].Shape}: relative error {error:E2}");
            Assert.True(error < Tolerance, $"{cfg} {name}: relative error {error:E2} exceeds {Tolerance:E0}");
            i++;
        }
    }
}
