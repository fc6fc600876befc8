using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class WarningOutputTests
{
    // The demo cfg with a misspelled key in one convolution and a line without '='.
    private static string TypoCfg(string folder)
    {
        var text = File.ReadAllText(Fixtures.Repo("samples/demo.cfg")).Replace("filters=64\nsize=1", "filters=64\nsize=1\nactivaton=leaky", StringComparison.Ordinal)
            .Replace("[upsample]\nstride=2", "[upsample]\nstride=2\nscale 1", StringComparison.Ordinal);
        var path = Path.Combine(folder, "typo.cfg");
        File.WriteAllText(path, text);
        return path;
    }

    private static string Copy(string folder, string sample)
    {
        var path = Path.Combine(folder, sample);
        File.Copy(Fixtures.Repo(Path.Combine("samples", sample)), path);
        return path;
    }

    [Fact]
    public void Convert_UnknownKeyAndLineWithoutEquals_WarnsOnStderrAndConverts()
    {
        var folder = Fixtures.TempFolder();
        var cfg = TypoCfg(folder);
        var output = Path.Combine(folder, "demo.mlmodel");

        var (exit, stdout, stderr) = CliRunner.Run(cfg, Copy(folder, "demo.weights"), output);

        Assert.Equal(0, exit);
        Assert.StartsWith("wrote ", stdout, StringComparison.Ordinal);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"typo\.cfg:119:1: warning: line 'scale 1' in \[upsample\] has no '='", lines[0]); // the parser's, first
        Assert.Matches(@"typo\.cfg:87:1: warning: unknown key 'activaton' in \[convolutional\]; did you mean 'activation'\?", lines[1]);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void Convert_UnknownKeyUnderStrict_ExitsTwoWithOneLineAndNoOutput()
    {
        var folder = Fixtures.TempFolder();
        var cfg = TypoCfg(folder);
        var weights = Copy(folder, "demo.weights");

        var line = FailureAssert.Fails(2, folder, cfg, weights, Path.Combine(folder, "demo.mlmodel"), "--strict", "--keras", Path.Combine(folder, "demo.h5"));

        Assert.Matches(@"typo\.cfg:119:1: error: line 'scale 1' in \[upsample\] has no '='; expected 'key=value'\. Darknet skips it\. \(an error under --strict\) Hint: ", line);
    }

    // The demo weights with one value replaced; an offset below 0 counts from the end.
    private static string DamagedWeights(string folder, int offset, float value)
    {
        var path = Path.Combine(folder, "nan.weights");
        var bytes = File.ReadAllBytes(Fixtures.Repo("samples/demo.weights"));
        BitConverter.GetBytes(value).CopyTo(bytes, offset < 0 ? bytes.Length + offset : offset);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void InspectAndVerify_NaNWeightsUnderStrict_ExitTwoWithTheLayerAndOffset()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Copy(folder, "demo.cfg");
        var weights = DamagedWeights(folder, 20 + (4 * 70), float.NaN); // layer 0: 64 bias/BN values, then its kernel
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, Copy(folder, "demo.weights"), model).Exit);

        var inspect = FailureAssert.Fails(2, folder, "inspect", cfg, weights, "--strict");
        var verify = FailureAssert.Fails(2, folder, "verify", cfg, weights, model, "--strict");

        Assert.Equal($"{weights}@300: error: layer 0 [convolutional] ({cfg}:11:1) holds 1 NaN among its 496 values (first in the kernel, at byte 300); expected finite numbers. (an error under --strict) Hint: the training diverged or the file is damaged: the model would output NaN; use another checkpoint.", inspect);
        Assert.Equal(inspect, verify);
    }

    [Fact]
    public void Convert_NaNWeightsWithKeras_WarnsOnceWhileStreamingBothOutputs()
    {
        // The weights are read while each output is written: the layer is read twice, its warning printed once.
        var folder = Fixtures.TempFolder();
        var cfg = Copy(folder, "demo.cfg");
        var weights = DamagedWeights(folder, 20 + (4 * 70), float.NaN);

        var (exit, _, stderr) = CliRunner.Run(cfg, weights, Path.Combine(folder, "demo.mlmodel"), "--keras", Path.Combine(folder, "demo.h5"));

        Assert.Equal(0, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"{weights}@300: warning: layer 0 [convolutional] ({cfg}:11:1) holds 1 NaN among its 496 values (first in the kernel, at byte 300); expected finite numbers. Hint: the training diverged or the file is damaged: the model would output NaN; use another checkpoint.", line);
        Assert.True(File.Exists(Path.Combine(folder, "demo.mlmodel")) && File.Exists(Path.Combine(folder, "demo.h5")));
    }

    [Fact]
    public void Convert_NaNInTheLastLayerUnderStrict_LeavesTheExistingModelAndNoTemporary()
    {
        // The error comes after most of the model was streamed to its temporary file.
        var folder = Fixtures.TempFolder();
        var cfg = Copy(folder, "demo.cfg");
        var weights = DamagedWeights(folder, -4, float.NegativeInfinity);
        var last = new FileInfo(weights).Length - 4;
        var model = Path.Combine(folder, "demo.mlmodel");
        File.WriteAllText(model, "the user's model");

        var line = FailureAssert.Fails(2, folder, cfg, weights, model, "--strict");

        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(weights)}@{last}: error: layer \d+ \[convolutional\] .* holds 1 -Inf among its [\d,]+ values \(first in the kernel", line);
        Assert.Equal("the user's model", File.ReadAllText(model));
    }

    [Fact]
    public void Inspect_ManyWarnings_PrintsTwentyAndCountsTheRest()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "many.cfg");
        File.WriteAllText(cfg, "[net]\nwidth=32\nheight=32\nchannels=3\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"key{i}=1\n")) + "[maxpool]\n");

        var (exit, _, stderr) = CliRunner.Run("inspect", cfg);

        Assert.Equal(0, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(21, lines.Length);
        Assert.Equal("warning: 10 more warnings not shown (--strict stops at the first).", lines[^1]);
    }

    [Fact]
    public void Convert_Json_CarriesTheWarningsWithTheirCfgLines()
    {
        var folder = Fixtures.TempFolder();
        var cfg = TypoCfg(folder);

        var (exit, stdout, _) = CliRunner.Run(cfg, Copy(folder, "demo.weights"), Path.Combine(folder, "demo.mlmodel"), "--json");

        Assert.Equal(0, exit);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        var warnings = doc.RootElement.GetProperty("warnings").EnumerateArray().ToList();
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("line 'scale 1' in [upsample] has no '='", warnings[0].GetProperty("message").GetString());
        Assert.Equal(cfg, warnings[0].GetProperty("file").GetString());
        Assert.Equal(119, warnings[0].GetProperty("line").GetInt32());
        Assert.Equal(1, warnings[0].GetProperty("column").GetInt32());
        Assert.StartsWith("unknown key 'activaton' in [convolutional]; did you mean 'activation'?", warnings[1].GetProperty("message").GetString());
        Assert.Equal(87, warnings[1].GetProperty("line").GetInt32());
        Assert.False(warnings[1].TryGetProperty("offset", out _));
    }

    [Fact]
    public void InspectAndVerify_Json_CarryAWeightsWarningWithItsOffset()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Copy(folder, "demo.cfg");
        var weights = DamagedWeights(folder, 20 + (4 * 70), float.NaN);
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(cfg, Copy(folder, "demo.weights"), model).Exit);

        foreach (var args in new[] { new[] { "inspect", cfg, weights, "--json" }, ["verify", cfg, weights, model, "--json"] })
        {
            var (_, stdout, _) = CliRunner.Run(args);

            using var doc = System.Text.Json.JsonDocument.Parse(stdout);
            var warning = Assert.Single(doc.RootElement.GetProperty("warnings").EnumerateArray());
            Assert.StartsWith("layer 0 [convolutional]", warning.GetProperty("message").GetString());
            Assert.StartsWith("the training diverged", warning.GetProperty("hint").GetString());
            Assert.Equal(weights, warning.GetProperty("file").GetString());
            Assert.Equal(300, warning.GetProperty("offset").GetInt64());
            Assert.False(warning.TryGetProperty("line", out _));
        }
    }

    [Fact]
    public void Json_WithoutWarnings_HasAnEmptyWarningsArray()
    {
        var folder = Fixtures.TempFolder();

        var (exit, stdout, stderr) = CliRunner.Run("inspect", Copy(folder, "demo.cfg"), "--json");

        Assert.True(exit == 0, stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("warnings").GetArrayLength());
    }

    [Fact]
    public void Convert_NmsWithoutNames_Json_CarriesTheCommandsOwnWarning()
    {
        var folder = Fixtures.TempFolder();

        var (exit, stdout, stderr) = CliRunner.Run(Copy(folder, "demo.cfg"), Copy(folder, "demo.weights"), Path.Combine(folder, "demo.mlmodel"), "--nms", "--json");

        Assert.True(exit == 0, stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        var warning = Assert.Single(doc.RootElement.GetProperty("warnings").EnumerateArray());
        Assert.Equal("no --names given; the model's class labels are the class numbers 0..2. Vision shows these as the labels.", warning.GetProperty("message").GetString());
        Assert.Equal(["message"], warning.EnumerateObject().Select(p => p.Name));
    }
}
