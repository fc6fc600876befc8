using System.CommandLine;
using System.Text;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>A run that cannot print its result (stdout on a full disk) fails before it replaces any existing output.</summary>
public sealed class BrokenStdoutTests
{
    /// <summary>Standard output on a full disk: every write and flush fails.</summary>
    private sealed class FullDiskWriter : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => throw new IOException("No space left on device");

        public override void Write(string? value) => throw new IOException("No space left on device");

        public override void Flush() => throw new IOException("No space left on device");
    }

    private static (int Exit, string Err) Run(params string[] args)
    {
        var error = new StringWriter();
        var exit = Cli.Invoke(args, new InvocationConfiguration { Output = new FullDiskWriter(), Error = error });
        return (exit, error.ToString());
    }

    [Fact]
    public void Convert_StdoutFails_ExitsFourAndLeavesTheExistingModelAndKerasFile()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        var keras = Path.Combine(folder, "demo.h5");
        File.WriteAllText(model, "the model of yesterday");
        File.WriteAllText(keras, "the keras file of yesterday");
        var before = CliAssert.Snapshot(folder);

        var (exit, stderr) = Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model, "--keras", keras);

        Assert.True(exit == 4, stderr);
        Assert.Equal("error: No space left on device", stderr.TrimEnd('\n'));
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Detect_StdoutFails_ExitsFourAndLeavesTheExistingDrawing()
    {
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "m.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model).Exit);
        var drawing = Path.Combine(folder, "boxes.png");
        File.WriteAllText(drawing, "the drawing of yesterday");
        var before = CliAssert.Snapshot(folder);

        var (exit, stderr) = Run("detect", model, Fixtures.Shared(Fixtures.DogImage), "--out", drawing);

        Assert.True(exit == 4, stderr);
        CliAssert.Unchanged(before, folder);
    }
}
