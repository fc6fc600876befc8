using System.Diagnostics;
using Yolo4Convert.Darknet;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class VerifyCommandHardeningTests
{
    [Fact]
    public void Verify_HeadsOverflowingToInfAndNaN_ExitsSixNamingTheHeadsAndCounts()
    {
        // Finite but huge weights (no warning): the heads overflow to ±Inf and NaN in both passes.
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "demo.cfg");
        File.Copy(Fixtures.Repo("samples/demo.cfg"), cfg);
        var weights = Path.Combine(folder, "huge.weights");
        var bytes = File.ReadAllBytes(Fixtures.Repo("samples/demo.weights"));
        for (var i = 20; i < bytes.Length; i += 4)
        {
            BitConverter.GetBytes(3e37f).CopyTo(bytes, i);
        }

        File.WriteAllBytes(weights, bytes);
        var model = Path.Combine(folder, "huge.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, weights, model).Exit);

        var (exit, stdout, stderr) = CliRunner.Run("verify", cfg, weights, model);

        Assert.Equal(6, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^error: 2 heads hold NaN/Inf values: head_s16 \(layer 15\) [\d,]+ of 2,400 in the model, [\d,]+ in the Darknet reference; head_s8 \(layer 22\) [\d,]+ of 9,600 in the model, [\d,]+ in the Darknet reference\. Hint: ", line);
        Assert.EndsWith(": FAIL\n", stdout);
        Assert.DoesNotContain(": ok", stdout);
        Assert.Contains("NaN/Inf: ", stdout);

        var json = CliRunner.Run("verify", cfg, weights, model, "--json");
        Assert.Equal(6, json.Exit);
        var parsed = System.Text.Json.JsonDocument.Parse(json.Out).RootElement;
        Assert.False(parsed.GetProperty("ok").GetBoolean());
        Assert.True(parsed.GetProperty("heads")[0].GetProperty("nonFiniteModel").GetInt64() > 0);
    }

    [Fact]
    public void Verify_CfgWithAVeryLargeMaxpool_IsRefusedWithinSeconds()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "pool.cfg");
        File.WriteAllText(cfg, "[net]\nwidth=608\nheight=608\nchannels=3\n[convolutional]\nfilters=32\nsize=1\nactivation=leaky\n[maxpool]\nsize=4001\nstride=1\n"
            + "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\n");
        var weights = Path.Combine(folder, "pool.weights");
        SeededWeights.Write(DarknetReader.ReadCfg(File.ReadAllText(cfg), cfg), weights);
        var model = Path.Combine(folder, "pool.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, weights, model).Exit);
        var watch = Stopwatch.StartNew();

        var line = FailureAssert.Fails(3, folder, "verify", cfg, weights, model);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.Matches(@"^.*pool\.mlmodel: error: Core ML layer \d+ '001_maxpool' \(Pooling\) would take [\d,]+ operations", line);
    }

    [Fact]
    public void Verify_MetadataLayerNotANumber_ExitsTwo()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model).Exit);
        var spec = global::CoreML.Specification.Model.Parser.ParseFrom(File.ReadAllBytes(model));
        spec.Description.Metadata.UserDefined["head.head_s8.layer"] = "x22";
        File.WriteAllBytes(model, Google.Protobuf.MessageExtensions.ToByteArray(spec));

        var line = FailureAssert.Fails(2, folder, "verify", Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model);

        Assert.Equal("error: the model's metadata has head.head_s8.layer='x22'; expected a Darknet layer index (0 or more). Hint: convert the model with yolo4convert to get decodable metadata.", line);
    }
}
