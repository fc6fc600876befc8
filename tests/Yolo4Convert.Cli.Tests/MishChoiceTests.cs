using CoreML.Specification;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>convert --mish: the default with and without --nms, the warning for a custom-layer pipeline, the summary.</summary>
public sealed class MishChoiceTests
{
    private static string Sample(string name) => Fixtures.Repo(Path.Combine("samples", name));

    // Every layer of a model, through pipelines.
    private static IEnumerable<NeuralNetworkLayer> Layers(Model model) =>
        model.TypeCase switch
        {
            Model.TypeOneofCase.NeuralNetwork => model.NeuralNetwork.Layers,
            Model.TypeOneofCase.Pipeline => model.Pipeline.Models.SelectMany(Layers),
            _ => [],
        };

    private static (int Exit, string Out, string Err, string Model) Convert(params string[] extra)
    {
        var model = Path.Combine(Fixtures.TempFolder(), "demo.mlmodel");
        var (exit, stdout, stderr) = CliRunner.Run([Sample("demo.cfg"), Sample("demo.weights"), model, "--names", Sample("demo.names"), .. extra]);
        return (exit, stdout, stderr, model);
    }

    [Fact]
    public void Convert_NmsWithoutMish_WritesBuiltInMishLayersOnlyAndSaysSo()
    {
        var (exit, stdout, stderr, path) = Convert("--nms");

        Assert.True(exit == 0, stderr);
        Assert.Empty(stderr);
        var model = Model.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Equal(Model.TypeOneofCase.Pipeline, model.TypeCase);
        var layers = Layers(model).ToList();
        Assert.DoesNotContain(layers, l => l.LayerCase == NeuralNetworkLayer.LayerOneofCase.Custom);
        Assert.Equal(4, layers.Count(l => l.Name.EndsWith("mish_negabs", StringComparison.Ordinal))); // the stable form, once per mish
        Assert.Contains("Core ML layers, mish: stable (built-in layers), spec 3", stdout);
    }

    [Fact]
    public void Convert_NmsWithExplicitCustomMish_WarnsThatTheAppMustRegisterTheClass()
    {
        var (exit, stdout, stderr, path) = Convert("--nms", "--mish", "custom");

        Assert.True(exit == 0, stderr);
        Assert.Equal(
            "warning: --mish custom with --nms: the model holds 4 custom 'Mish' layers, so it loads only in an app that registers a class named 'Mish' (see samples/ios), and Xcode cannot preview it. "
            + "Hint: leave out --mish (or pass --mish stable) for built-in layers that run in any app.",
            stderr.TrimEnd('\n'));
        Assert.Equal(4, Layers(Model.Parser.ParseFrom(File.ReadAllBytes(path))).Count(l => l.LayerCase == NeuralNetworkLayer.LayerOneofCase.Custom));
        Assert.Contains("mish: custom (4 'Mish' custom layers the app must register)", stdout);
    }

    [Fact]
    public void Convert_NmsWithExplicitCustomMishUnderStrict_IsRefusedAndWritesNothing()
    {
        var folder = Fixtures.TempFolder();

        var line = FailureAssert.Fails(2, folder, Sample("demo.cfg"), Sample("demo.weights"), Path.Combine(folder, "demo.mlmodel"), "--names", Sample("demo.names"), "--nms", "--mish", "custom", "--strict");

        Assert.StartsWith("error: --mish custom with --nms: the model holds 4 custom 'Mish' layers", line, StringComparison.Ordinal);
        Assert.Contains("(an error under --strict)", line);
    }

    [Fact]
    public void Convert_PlainModelWithoutMish_StaysTheCustomLayerByteForByte()
    {
        var (exit, stdout, _, byDefault) = Convert();
        var (exitCustom, _, _, custom) = Convert("--mish", "custom");

        Assert.Equal((0, 0), (exit, exitCustom));
        Assert.Equal(File.ReadAllBytes(custom), File.ReadAllBytes(byDefault));
        Assert.Contains("mish: custom (4 'Mish' custom layers the app must register)", stdout);
    }

    [Theory]
    [InlineData("native", "mish: native (built-in layers)")]
    [InlineData("stable", "mish: stable (built-in layers)")]
    public void Convert_BuiltInMish_SummaryNamesTheForm(string form, string expected)
    {
        var (exit, stdout, stderr, _) = Convert("--mish", form);

        Assert.True(exit == 0, stderr);
        Assert.Contains($"-> {(form == "native" ? 35 : 51)} Core ML layers, {expected}, spec 1", stdout);
    }

    [Fact]
    public void Convert_NetworkWithoutMish_SummaryDoesNotMentionMish()
    {
        var model = Path.Combine(Fixtures.TempFolder(), "m.mlmodel");

        var (exit, stdout, stderr) = CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, "--nms", "--names", Fixtures.Shared("cfg/coco.names"));

        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain("mish", stdout);
    }
}
