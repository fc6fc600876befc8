using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>A missing input is named by its role and its path as given (exit 4); an OUTPUT that is a folder is named so.</summary>
public sealed class InputFileErrorTests
{
    private static string Sample(string name) => Fixtures.Repo(Path.Combine("samples", name));

    public static TheoryData<string, string[], string> MissingInputs()
    {
        var cfg = Sample("demo.cfg");
        var weights = Sample("demo.weights");
        var model = DemoModel();
        var image = Path.Combine(Path.GetDirectoryName(model)!, "image.png");
        DetectOutputTests.WritePng(image, 32, 32);
        var output = Path.Combine(Fixtures.TempFolder(), "m.mlmodel");
        return new()
        {
            { "CFG", ["nope.cfg", weights, output], "nope.cfg" },
            { "WEIGHTS", [cfg, "nope.weights", output], "nope.weights" },
            { "--names", [cfg, weights, output, "--names", "nope.names"], "nope.names" },
            { "CFG", ["convert", "nope.cfg", weights, output], "nope.cfg" },
            { "CFG|MODEL", ["inspect", "nope.cfg"], "nope.cfg" },
            { "WEIGHTS", ["inspect", cfg, "nope.weights"], "nope.weights" },
            { "MODEL", ["detect", "nope.mlmodel", image], "nope.mlmodel" },
            { "IMAGE", ["detect", model, "nope.png"], "nope.png" },
            { "--names", ["detect", model, image, "--names", "nope.names"], "nope.names" },
            { "CFG", ["verify", "nope.cfg", weights, model], "nope.cfg" },
            { "WEIGHTS", ["verify", cfg, "nope.weights", model], "nope.weights" },
            { "MODEL", ["verify", cfg, weights, "nope.mlmodel"], "nope.mlmodel" },
            { "--image", ["verify", cfg, weights, model, "--image", "nope.png"], "nope.png" },
            { "CFG|MODEL", ["inspect", "sub/nope.cfg", "--size", "416x416"], "sub/nope.cfg" },
        };
    }

    [Theory]
    [MemberData(nameof(MissingInputs))]
    public void MissingInput_NamedByRoleAndPathAsGiven_ExitFour(string role, string[] args, string path)
    {
        var line = CliAssert.OneErrorLine(CliRunner.Run(args), 4);

        Assert.Equal($"error: {role} '{path}' does not exist. Hint: check the path.", line);
    }

    [Fact]
    public void MissingInput_UnderJson_IsOneJsonErrorWithThePath()
    {
        var error = CliAssert.JsonError(CliRunner.Run("inspect", "nope.cfg", "--json"), 4);

        Assert.Equal("error: CFG|MODEL 'nope.cfg' does not exist. Hint: check the path.", error.GetProperty("message").GetString());
        Assert.Equal("nope.cfg", error.GetProperty("file").GetString());
    }

    [Fact]
    public void InputThatIsAFolder_IsNamedSo()
    {
        var folder = Fixtures.TempFolder();

        var line = CliAssert.OneErrorLine(CliRunner.Run("inspect", folder), 4);

        Assert.Equal($"error: CFG|MODEL '{folder}' is a directory, not a file. Hint: check the path.", line);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Output_ThatIsAFolder_IsNamedAsOneWithAFileNameToUse(bool trailingSeparator)
    {
        var folder = Fixtures.TempFolder();
        var output = Path.Combine(folder, "outdir");
        Directory.CreateDirectory(output);
        var given = trailingSeparator ? output + "/" : output;

        var line = CliAssert.OneErrorLine(CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), given), 1);

        Assert.Equal($"error: OUTPUT '{given}' is a directory; give a file name such as {output}/model.mlmodel.", line);
    }

    [Fact]
    public void Output_EndingInASeparator_IsAFolderEvenIfItDoesNotExist()
    {
        var line = CliAssert.OneErrorLine(CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), "outdir/"), 1);

        Assert.Equal("error: OUTPUT 'outdir/' is a directory; give a file name such as outdir/model.mlmodel.", line);
    }

    private static string DemoModel()
    {
        var model = Path.Combine(Fixtures.TempFolder(), "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), model).Exit);
        return model;
    }
}
