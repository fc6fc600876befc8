using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

public sealed class DetectCommandHardeningTests
{
    private static string Demo(string folder, params string[] extra)
    {
        var model = Path.Combine(folder, "demo.mlmodel");
        var (exit, _, stderr) = CliRunner.Run([Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model, .. extra]);
        Assert.True(exit == 0, stderr);
        return model;
    }

    private static void Damage(string model, Action<Model> change)
    {
        var spec = Model.Parser.ParseFrom(File.ReadAllBytes(model));
        change(spec);
        File.WriteAllBytes(model, spec.ToByteArray());
    }

    [Fact]
    public void Detect_ConvolutionWithZeroStride_ExitsTwoNamingTheLayer()
    {
        var folder = Fixtures.TempFolder();
        var model = Demo(folder);
        Damage(model, m => m.NeuralNetwork.Layers.First(l => l.Convolution is not null).Convolution.Stride[0] = 0);
        var image = Path.Combine(folder, "dog.jpg");
        File.Copy(Fixtures.Shared(Fixtures.DogImage), image);

        var line = FailureAssert.Fails(2, folder, "detect", model, image, "--out", Path.Combine(folder, "boxes.png"));

        Assert.StartsWith($"{model}: error: Core ML layer 0 '000_conv' (Convolution) has stride [0,2]; expected two values from 1 to 4096.", line);
    }

    [Fact]
    public void Detect_MetadataClassesNotANumber_ExitsTwoBeforeRunning()
    {
        var folder = Fixtures.TempFolder();
        var model = Demo(folder);
        Damage(model, m => m.Description.Metadata.UserDefined["head.head_s8.classes"] = "three");
        var image = Path.Combine(folder, "dog.jpg");
        File.Copy(Fixtures.Shared(Fixtures.DogImage), image);

        var line = FailureAssert.Fails(2, folder, "detect", model, image);

        Assert.StartsWith("error: the model's metadata has head.head_s8.classes='three'; expected a class count from 1 to 100,000.", line);
    }

    [Fact]
    public void Detect_MetadataResizeModeUnknown_ExitsTwoNamingTheKey()
    {
        var folder = Fixtures.TempFolder();
        var model = Demo(folder);
        Damage(model, m => m.Description.Metadata.UserDefined["input.resize"] = "crop");
        var image = Path.Combine(folder, "dog.jpg");
        File.Copy(Fixtures.Shared(Fixtures.DogImage), image);

        var line = FailureAssert.Fails(2, folder, "detect", model, image);

        Assert.Equal("error: the model's metadata has input.resize='crop'; expected 'letterbox' or 'stretch'. Hint: convert the model with yolo4convert to get decodable metadata.", line);
    }

    [Fact]
    public void Detect_ClassNameWithComma_IsOneLabel()
    {
        var folder = Fixtures.TempFolder();
        var names = Path.Combine(folder, "names.txt");
        File.WriteAllLines(names, ["circle, large", "square", "triangle"]);
        var model = Demo(folder, "--names", names);

        var (exit, stdout, stderr) = CliRunner.Run("detect", model, Fixtures.Shared(Fixtures.DogImage), "--threshold", "0", "--json");

        Assert.True(exit == 0, stderr);
        var labels = System.Text.Json.JsonDocument.Parse(stdout).RootElement.EnumerateArray().Select(d => d.GetProperty("label").GetString()).ToHashSet();
        Assert.Contains("circle, large", labels);
        Assert.DoesNotContain("circle", labels);
        Assert.DoesNotContain(" large", labels);
    }

    [Fact]
    public void Detect_OldCommaSeparatedNames_AreStillRead()
    {
        var folder = Fixtures.TempFolder();
        var model = Demo(folder);
        Damage(model, m => m.Description.Metadata.UserDefined["classes"] = "circle,square,triangle");

        var (exit, stdout, stderr) = CliRunner.Run("detect", model, Fixtures.Shared(Fixtures.DogImage), "--threshold", "0", "--json");

        Assert.True(exit == 0, stderr);
        var labels = System.Text.Json.JsonDocument.Parse(stdout).RootElement.EnumerateArray().Select(d => d.GetProperty("label").GetString()).ToHashSet();
        Assert.Subset(new HashSet<string?> { "circle", "square", "triangle" }, labels);
    }
}
