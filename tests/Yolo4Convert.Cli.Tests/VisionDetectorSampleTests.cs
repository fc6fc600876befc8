using System.Text.RegularExpressions;
using CoreML.Specification;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>
/// samples/ios/VisionDetector.swift leaves the thresholds to the model unless the app sets them: the converted
/// pipeline declares them as optional inputs backed by the values given at conversion, and the sample passes only
/// the ones it was given.
/// </summary>
public sealed class VisionDetectorSampleTests
{
    private static readonly string Sample = File.ReadAllText(Fixtures.Repo("samples/ios/VisionDetector.swift"));

    [Fact]
    public void Pipeline_ConvertedWithThresholds_DeclaresThemOptionalWithThoseDefaults()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "m.mlmodel");
        var convert = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model,
            "--nms", "--names", Fixtures.Shared("cfg/coco.names"), "--confidence", "0.5", "--iou", "0.6");
        Assert.True(convert.Exit == 0, convert.Err);

        var spec = Model.Parser.ParseFrom(File.ReadAllBytes(model));

        // The inputs the sample names are the pipeline's optional doubles; when omitted, the NMS stage's stored values apply.
        foreach (var name in new[] { PipelineWriter.IouInputName, PipelineWriter.ConfidenceInputName })
        {
            var input = Assert.Single(spec.Description.Input, i => i.Name == name);
            Assert.Equal(FeatureType.TypeOneofCase.DoubleType, input.Type.TypeCase);
            Assert.True(input.Type.IsOptional, name);
            Assert.Contains($"values[\"{name}\"] = MLFeatureValue(double:", Sample, StringComparison.Ordinal);
        }

        var nms = spec.Pipeline.Models[1].NonMaximumSuppression;
        Assert.Equal((0.6, 0.5), (nms.IouThreshold, nms.ConfidenceThreshold));
        Assert.Equal((PipelineWriter.IouInputName, PipelineWriter.ConfidenceInputName), (nms.IouThresholdInputFeatureName, nms.ConfidenceThresholdInputFeatureName));

        // Run without the inputs (as the sample does by default), the model keeps only boxes of 50% and more.
        var image = Fixtures.Shared(Fixtures.DogImage);
        var byDefault = Percentages(CliRunner.Run("detect", model, image).Out);
        var overridden = Percentages(CliRunner.Run("detect", model, image, "--threshold", "0.25").Out);
        Assert.NotEmpty(byDefault);
        Assert.All(byDefault, p => Assert.True(p >= 50, $"{p}%"));
        Assert.Contains(overridden, p => p < 50);
    }

    [Fact]
    public void Sample_ThresholdsAreOptionalAndPassedOnlyWhenSet()
    {
        Assert.Matches(@"var iouThreshold: Double\?", Sample);
        Assert.Matches(@"var confidenceThreshold: Double\?", Sample);
        Assert.Matches(@"init\(url: URL, iouThreshold: Double\? = nil, confidenceThreshold: Double\? = nil[,)]", Sample);

        // No threshold is a number written into the sample, and each value passed comes out of an `if let`.
        Assert.DoesNotMatch(@"MLFeatureValue\(double:\s*[0-9.]", Sample);
        var passed = Sample.Split('\n').Where(l => l.Contains("MLFeatureValue(double:", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, passed.Count);
        Assert.All(passed, l => Assert.Matches(@"^\s*if let (\w+) = (iouThreshold|confidenceThreshold) \{ values\[""\2""\] = MLFeatureValue\(double: \1\) \}$", l));
    }

    private static List<int> Percentages(string stdout) =>
        [.. Regex.Matches(stdout, @": (\d+)%").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

    [Fact]
    public void Sample_LoadsCompiledPackagesAndModels_AndCompilesADownloadedPackage()
    {
        // Xcode compiles a .mlpackage and a .mlmodel alike into a .mlmodelc; a file fetched at run time is compiled.
        Assert.Contains("MLModel(contentsOf: url, configuration: configuration)", Sample, StringComparison.Ordinal);
        Assert.Matches(@"static func compile\(_ modelFile: URL\) async throws -> URL \{\s*try await MLModel\.compileModel\(at: modelFile\)", Sample);
        Assert.Matches(@"computeUnits: MLComputeUnits = \.all", Sample);
        Assert.Contains(".mlpackage --nms", Sample, StringComparison.Ordinal);
    }
}
