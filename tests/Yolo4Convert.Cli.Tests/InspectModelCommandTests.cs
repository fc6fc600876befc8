using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>`inspect MODEL`: models converted here, described, and checked against the cfg they came from.</summary>
public sealed class InspectModelCommandTests
{
    private static readonly string DemoCfg = Fixtures.Repo("samples/demo.cfg");

    // Facts read from the cfg text itself, not through the converter.
    private static int CfgCount(string cfg, string pattern) => File.ReadAllLines(cfg).Count(l => Regex.IsMatch(l.Replace(" ", string.Empty, StringComparison.Ordinal), pattern));

    private static string CfgValue(string cfg, string key) => File.ReadAllLines(cfg).Select(l => l.Replace(" ", string.Empty, StringComparison.Ordinal))
        .First(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    private static string Convert(string name, params string[] options)
    {
        var folder = Fixtures.TempFolder();
        var output = Path.Combine(folder, name);
        var (exit, _, stderr) = CliRunner.Run([DemoCfg, Fixtures.Repo("samples/demo.weights"), output, .. options]);
        Assert.True(exit == 0, stderr);
        return output;
    }

    private static JsonElement InspectJson(string model)
    {
        var (exit, stdout, stderr) = CliRunner.Run("inspect", model, "--json");
        Assert.True(exit == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }

    private static Dictionary<string, long> KernelBytes(JsonElement json) => json.GetProperty("weights").EnumerateArray()
        .Where(w => w.GetProperty("role").GetString() == "kernels").ToDictionary(w => w.GetProperty("format").GetString()!, w => w.GetProperty("bytes").GetInt64());

    [Fact]
    public void InspectModel_Fp32WithCustomMish_ReportsSpecHeadsClassesAndTheMishLayers()
    {
        var model = Convert("demo.mlmodel", "--names", Fixtures.Repo("samples/demo.names"));

        var json = InspectJson(model);

        var mish = CfgCount(DemoCfg, "^activation=mish$");
        Assert.True(mish > 0);
        Assert.Equal("neuralNetwork", json.GetProperty("format").GetString());
        Assert.Equal(2, json.GetProperty("specificationVersion").GetInt32()); // custom layers need spec 2
        Assert.Equal("iOS 11.2 / macOS 10.13.2", json.GetProperty("minimumOs").GetString());
        var custom = Assert.Single(json.GetProperty("customLayers").EnumerateArray());
        Assert.Equal("Mish", custom.GetProperty("className").GetString());
        Assert.Equal(mish, custom.GetProperty("count").GetInt32());
        Assert.Equal(["fp32"], KernelBytes(json).Keys);
        var converter = json.GetProperty("converter");
        Assert.Equal(int.Parse(CfgValue(DemoCfg, "classes"), CultureInfo.InvariantCulture), converter.GetProperty("classes").GetInt32());
        Assert.Equal(File.ReadAllLines(Fixtures.Repo("samples/demo.names")).Where(l => l.Length > 0), converter.GetProperty("classNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(int.Parse(CfgValue(DemoCfg, "width"), CultureInfo.InvariantCulture), converter.GetProperty("inputWidth").GetInt32());
        var anchors = CfgValue(DemoCfg, "anchors").Split(',').Select(a => float.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        var mask = CfgValue(DemoCfg, "mask").Split(',').Select(int.Parse).ToArray();
        var head = converter.GetProperty("heads").EnumerateArray().First(h => h.GetProperty("mask").EnumerateArray().Select(e => e.GetInt32()).SequenceEqual(mask));
        Assert.Equal(mask.SelectMany(m => new[] { anchors[2 * m], anchors[(2 * m) + 1] }), head.GetProperty("anchors").EnumerateArray().Select(e => e.GetSingle()));
        Assert.Equal(CfgCount(DemoCfg, @"^\[yolo\]$"), json.GetProperty("outputs").GetArrayLength());
        Assert.Equal(CfgCount(DemoCfg, @"^\[convolutional\]$"), json.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("type").GetString() == "convolution").GetProperty("count").GetInt32());

        var (exit, stdout, _) = CliRunner.Run("inspect", model);
        Assert.Equal(0, exit);
        Assert.Contains("format: NeuralNetwork .mlmodel, spec 2 (needs iOS 11.2", stdout);
        Assert.Contains($"custom layers: {mish} × \"Mish\"; the app must implement and register a class named Mish", stdout);
        Assert.Matches(@"\ninput:  image  image 160x160 RGB\n", stdout);
        Assert.Matches(@"\noutput: head_s16  multiArray float32 \[24, 10, 10\]\n", stdout);
    }

    [Theory]
    [InlineData("fp16", 2, new[] { "--precision", "fp16" })]
    [InlineData("linear8", 3, new[] { "--quantize", "linear8" })]
    [InlineData("kmeans4", 3, new[] { "--quantize", "kmeans4" })]
    public void InspectModel_StoredFormat_IsCountedWithItsBytes(string format, int spec, string[] options)
    {
        var fp32 = KernelBytes(InspectJson(Convert("fp32.mlmodel", "--mish", "native")));
        var model = Convert($"{format}.mlmodel", ["--mish", "native", .. options]);

        var json = InspectJson(model);

        Assert.Equal(spec, json.GetProperty("specificationVersion").GetInt32());
        var kernels = KernelBytes(json);
        Assert.Contains(format, kernels.Keys);
        Assert.Empty(json.GetProperty("customLayers").EnumerateArray());
        Assert.True(kernels.Values.Sum() < fp32["fp32"], $"{format} kernels take {kernels.Values.Sum()} bytes, fp32 {fp32["fp32"]}");
        var (_, text, _) = CliRunner.Run("inspect", model);
        Assert.Matches($@"\n  conv kernels  {format} +\d+ tensors", text);
        Assert.DoesNotMatch(@"\blut\d", text);
    }

    [Theory]
    [InlineData("custom")]
    [InlineData("native")]
    public void InspectModel_NmsPipeline_ReportsThresholdsLabelsAndCustomLayers(string mishMode)
    {
        var model = Convert("nms.mlmodel", "--nms", "--iou", "0.3", "--confidence", "0.6", "--mish", mishMode, "--names", Fixtures.Repo("samples/demo.names"));

        var json = InspectJson(model);

        Assert.Equal("pipeline", json.GetProperty("format").GetString());
        Assert.Equal(3, json.GetProperty("specificationVersion").GetInt32()); // the NMS model needs spec 3
        var nms = json.GetProperty("nms");
        Assert.Equal(0.3, nms.GetProperty("iouThreshold").GetDouble());
        Assert.Equal(0.6, nms.GetProperty("confidenceThreshold").GetDouble());
        Assert.Equal(int.Parse(CfgValue(DemoCfg, "classes"), CultureInfo.InvariantCulture), nms.GetProperty("labels").GetArrayLength());
        var custom = json.GetProperty("customLayers").EnumerateArray().ToList();
        if (mishMode == "custom")
        {
            Assert.Equal(CfgCount(DemoCfg, "^activation=mish$"), Assert.Single(custom).GetProperty("count").GetInt32());
        }
        else
        {
            Assert.Empty(custom);
            Assert.DoesNotContain(json.GetProperty("layers").EnumerateArray(), l => l.GetProperty("type").GetString() == "custom");
        }

        var (exit, text, _) = CliRunner.Run("inspect", model);
        Assert.Equal(0, exit);
        Assert.Contains("format: pipeline (network + NMS) .mlmodel, spec 3 (needs iOS 12", text);
        Assert.Contains("nms: iou threshold 0.3, confidence threshold 0.6, per class", text);
        Assert.Contains("input:  iouThreshold  double (optional)", text);
        Assert.Contains("output: coordinates  multiArray double [0..*, 4]", text);
    }

    [Fact]
    public void InspectModel_KerasH5_ReportsVersionsInputLayersAndTheWeightsOfTheDarknetFile()
    {
        var folder = Fixtures.TempFolder();
        var h5 = Path.Combine(folder, "yf.h5");
        var cfg = Fixtures.Shared(Fixtures.RealModelCfg);
        var weights = Fixtures.Shared(Fixtures.RealModelWeights);
        Assert.Equal(0, CliRunner.Run(cfg, weights, h5).Exit);

        var json = InspectJson(h5);

        Assert.Equal("keras", json.GetProperty("format").GetString());
        Assert.Equal("tensorflow", json.GetProperty("strings").GetProperty("backend").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("strings").GetProperty("kerasVersion").GetString()));
        var input = Assert.Single(json.GetProperty("inputs").EnumerateArray());
        var side = int.Parse(CfgValue(cfg, "width"), CultureInfo.InvariantCulture);
        Assert.Equal([null, side, side, 3], input.GetProperty("shape").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (int?)null : e.GetInt32()));
        Assert.Equal(CfgCount(cfg, @"^\[yolo\]$"), json.GetProperty("outputs").GetArrayLength());
        // Every float of the .weights file (after its 20-byte header) is one float32 of a dataset: batch norm is kept as Keras layers.
        Assert.Equal(new FileInfo(weights).Length - 20, json.GetProperty("weightBytes").GetInt64());
        Assert.Equal(CfgCount(cfg, @"^\[convolutional\]$"), json.GetProperty("layers").EnumerateArray()
            .Where(l => l.GetProperty("type").GetString() is "Conv2D" or "DepthwiseConv2D").Sum(l => l.GetProperty("count").GetInt32()));

        var (exit, text, _) = CliRunner.Run("inspect", h5);
        Assert.Equal(0, exit);
        Assert.Contains("format: Keras 2 HDF5", text);
        Assert.Contains($"input:  input  tensor float32 [None, {side}, {side}, 3]", text);
    }

    [Fact]
    public void InspectModel_RandomBinary_IsNeitherCfgNorModel()
    {
        var folder = Fixtures.TempFolder();
        var image = Path.Combine(folder, "dog.jpg");
        File.Copy(Fixtures.Shared(Fixtures.DogImage), image);

        var line = FailureAssert.Fails(2, folder, "inspect", image);

        Assert.StartsWith($"{image}@0: error: this binary file of {new FileInfo(image).Length:N0} bytes (starting FFD8", line);
        Assert.Contains("is neither a Darknet cfg nor a model yolo4convert reads (.mlmodel, .mlpackage, .h5)", line);
        Assert.DoesNotContain("swap", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void InspectModel_TruncatedModel_ExitsTwoWithTheByteOffset()
    {
        var model = Convert("demo.mlmodel");
        var folder = Path.GetDirectoryName(model)!;
        var bytes = File.ReadAllBytes(model);
        File.WriteAllBytes(model, bytes[..(bytes.Length / 2)]);

        var line = FailureAssert.Fails(2, folder, "inspect", model);

        Assert.Matches(@"error: the file is not a valid \.mlmodel \(the file ends inside a field at byte \d+\)", line);

        var error = CliAssert.JsonError(CliRunner.Run("inspect", model, "--json"), 2);
        Assert.Contains("at byte", error.GetProperty("message").GetString());
    }

    [Fact]
    public void InspectModel_WithWeights_IsAUsageError()
    {
        var model = Convert("demo.mlmodel");

        var line = CliAssert.OneErrorLine(CliRunner.Run("inspect", model, Fixtures.Repo("samples/demo.weights")), 1);

        Assert.Contains("is a model, which holds its weights", line);
    }

    [Fact]
    public void InspectHelp_ShowsCfgOrModel()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("yolo4convert inspect <CFG|MODEL> [<WEIGHTS>] [options]", stdout);
    }
}
