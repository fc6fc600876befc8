using System.Text.Json;
using System.Text.RegularExpressions;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>`verify --layers` on the real yolo-fastest: every layer within tolerance on a correct model, and a cfg changed at one layer names that layer and its line.</summary>
public sealed class VerifyLayersTests
{
    // yolo-fastest-1.1.cfg: layer 30 is the [convolutional] at line 242, activation=leaky at line 248.
    private const int ChangedLayer = 30;
    private const int ChangedSectionLine = 242;
    private const int ActivationLine = 248;

    public static TheoryData<string, string[]> Models => new()
    {
        { "m.mlmodel", [] },
        { "m.mlmodel", ["--precision", "fp16"] },
        { "m.mlpackage", [] },
        { "m.mlpackage", ["--precision", "fp32"] },
        { "nms.mlmodel", ["--nms"] },
        { "nms.mlpackage", ["--nms"] },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Layers_CorrectModel_EveryLayerWithinTolerance_CfgChangedAtLayer30_NamesLayer30AndItsLine(string name, string[] convert)
    {
        var folder = Fixtures.TempFolder();
        var (cfg, weights) = (Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights));
        var model = Path.Combine(folder, name);
        Assert.Equal(0, CliRunner.Run([cfg, weights, model, .. convert]).Exit);
        var fp16 = convert.Contains("fp16") || (name.EndsWith(".mlpackage", StringComparison.Ordinal) && !convert.Contains("fp32"));
        var tolerance = fp16 ? "0.02" : "1e-4";

        var (exit, stdout, stderr) = CliRunner.Run("verify", cfg, weights, model, "--layers");

        Assert.True(exit == 0, stderr + stdout);
        var rows = stdout.Split('\n').Where(l => Regex.IsMatch(l, @"^ *\d+  [a-z_]+ +yolo-fastest-1\.1\.cfg:\d+ ")).ToList();
        Assert.Matches($@"\nevery layer within tolerance {Regex.Escape(tolerance)}: {rows.Count} of 131 layers compared \(the others have no value of their own in the model\), worst relative error \d\.\d\dE-\d+ \(layer \d+ \[[a-z]+\]\)\n", stdout);
        Assert.True(rows.Count > 100, stdout);
        var prefix = name.EndsWith(".mlpackage", StringComparison.Ordinal) ? "l" : string.Empty;
        Assert.Matches($@"^ +0  convolutional +yolo-fastest-1\.1\.cfg:22 +8x160x160 +{prefix}000_leaky +\d\.\d\dE-\d+ +\d\.\d\dE-\d+$", rows[0]);
        Assert.DoesNotContain(rows, r => r.Contains("decode", StringComparison.Ordinal) || r.Contains("beyond tolerance", StringComparison.Ordinal));

        var changed = Path.Combine(folder, "changed.cfg");
        var lines = File.ReadAllLines(cfg);
        Assert.Equal("activation=leaky", lines[ActivationLine - 1]);
        lines[ActivationLine - 1] = "activation=linear";
        File.WriteAllLines(changed, lines);

        var broken = CliRunner.Run("verify", changed, weights, model, "--layers");

        Assert.Equal(6, broken.Exit);
        Assert.Matches($@"\nfirst divergence: layer {ChangedLayer} \[convolutional\] \(changed\.cfg:{ChangedSectionLine}\), relative error \d\.\d\dE-\d+; layers 0–29 match to \d\.\d\dE-\d+ \(tolerance {Regex.Escape(tolerance)}\)\n", broken.Out);
        Assert.Matches(@"\n +30  convolutional +changed\.cfg:242 .* beyond tolerance\n", broken.Out);

        var json = CliRunner.Run("verify", changed, weights, model, "--layers", "--json");
        Assert.Equal(6, json.Exit);
        var layers = JsonDocument.Parse(json.Out).RootElement.GetProperty("layers");
        var first = layers.GetProperty("firstDivergence");
        Assert.Equal((ChangedLayer, ChangedSectionLine, "convolutional"), (first.GetProperty("layer").GetInt32(), first.GetProperty("line").GetInt32(), first.GetProperty("type").GetString()));
        var table = layers.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(rows.Count, table.Count);
        var notCompared = layers.GetProperty("notCompared").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(0, 131), table.Select(r => r.GetProperty("layer").GetInt32()).Concat(notCompared).Order());
        Assert.Contains(121, notCompared);
        Assert.Contains(130, notCompared);
        Assert.All(table.TakeWhile(r => r.GetProperty("layer").GetInt32() < ChangedLayer), r => Assert.True(r.GetProperty("withinTolerance").GetBoolean()));
        Assert.False(table.First(r => r.GetProperty("layer").GetInt32() == ChangedLayer).GetProperty("withinTolerance").GetBoolean());
    }

    [Fact]
    public void Layers_Fp16Compute_UsesTheFp16Tolerance()
    {
        var folder = Fixtures.TempFolder();
        var (cfg, weights) = (Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights));
        var model = Path.Combine(folder, "m.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, weights, model).Exit);

        var (exit, stdout, stderr) = CliRunner.Run("verify", cfg, weights, model, "--layers", "--precision", "fp16", "--json");

        Assert.True(exit == 0, stderr + stdout);
        var layers = JsonDocument.Parse(stdout).RootElement.GetProperty("layers");
        Assert.Equal(2e-2, layers.GetProperty("tolerance").GetDouble());
        var worst = layers.GetProperty("rows").EnumerateArray().Max(r => r.GetProperty("maxRelativeError").GetDouble());

        // Half-precision rounding moves every layer well beyond fp32's tolerance, and stays within fp16's.
        Assert.InRange(worst, 1e-4, 2e-2);
    }

    [Fact]
    public void Layers_ModelNotNamedAfterDarknetLayers_SaysSoInOneLine()
    {
        var folder = Fixtures.TempFolder();
        var (cfg, weights) = (Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"));
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, weights, model).Exit);
        var spec = global::CoreML.Specification.Model.Parser.ParseFrom(File.ReadAllBytes(model));
        for (var i = 0; i < spec.NeuralNetwork.Layers.Count; i++)
        {
            spec.NeuralNetwork.Layers[i].Name = $"layer{i}";
        }

        File.WriteAllBytes(model, Google.Protobuf.MessageExtensions.ToByteArray(spec));
        Assert.Equal(0, CliRunner.Run("verify", cfg, weights, model).Exit);

        var line = FailureAssert.Fails(2, folder, "verify", cfg, weights, model, "--layers");

        Assert.Matches(@"^.*demo\.mlmodel: error: --layers cannot pair the model's values with the cfg's layers: none is named after a Darknet layer \('005_leaky' in a \.mlmodel, 'l005_leaky' in a \.mlpackage\)\. Hint: --layers works on models converted by yolo4convert; without --layers, verify compares the heads\.$", line);
        var json = CliRunner.Run("verify", cfg, weights, model, "--layers", "--json");
        Assert.Equal(2, json.Exit);
        Assert.Contains("--layers cannot pair", JsonDocument.Parse(json.Out).RootElement.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_WithoutLayers_PrintsNoLayerTable()
    {
        var folder = Fixtures.TempFolder();
        var (cfg, weights) = (Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"));
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, weights, model).Exit);

        var text = CliRunner.Run("verify", cfg, weights, model);
        var json = CliRunner.Run("verify", cfg, weights, model, "--json");

        Assert.DoesNotContain("every layer within tolerance", text.Out, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(json.Out).RootElement.GetProperty("layers").ValueKind);
    }
}
