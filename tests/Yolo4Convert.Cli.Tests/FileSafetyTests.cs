using System.Diagnostics;
using Yolo4Convert.Darknet;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>No run destroys an input, clobbers an output on failure, or leaves a temporary file behind.</summary>
public sealed class FileSafetyTests
{
    // A folder with the demo network under the given names (a weights file may be named like a model).
    private static string Folder(string cfg = "demo.cfg", string weights = "demo.weights", string names = "demo.names")
    {
        var folder = Fixtures.TempFolder();
        File.Copy(Fixtures.Repo("samples/demo.cfg"), Path.Combine(folder, cfg));
        File.Copy(Fixtures.Repo("samples/demo.weights"), Path.Combine(folder, weights));
        File.Copy(Fixtures.Repo("samples/demo.names"), Path.Combine(folder, names));
        return folder;
    }

    private static string In(string folder, string name) => Path.Combine(folder, name);

    [Theory]
    [InlineData("demo.cfg", "w.mlmodel", "demo.names", "w.mlmodel", null, "OUTPUT '{0}/w.mlmodel' is the same file as WEIGHTS '{0}/w.mlmodel'")]
    [InlineData("c.mlmodel", "demo.weights", "demo.names", "c.mlmodel", null, "OUTPUT '{0}/c.mlmodel' is the same file as CFG '{0}/c.mlmodel'")]
    [InlineData("c.h5", "demo.weights", "demo.names", "c.h5", null, "OUTPUT '{0}/c.h5' is the same file as CFG '{0}/c.h5'")]
    [InlineData("demo.cfg", "w.h5", "demo.names", "m.mlmodel", "w.h5", "--keras '{0}/w.h5' is the same file as WEIGHTS '{0}/w.h5'")]
    [InlineData("demo.cfg", "demo.weights", "n.mlmodel", "n.mlmodel", null, "OUTPUT '{0}/n.mlmodel' is the same file as --names '{0}/n.mlmodel'")]
    public void Convert_OutputIsAnInput_ExitsOneAndChangesNothing(string cfg, string weights, string names, string output, string? keras, string template)
    {
        var folder = Folder(cfg, weights, names);
        var before = CliAssert.Snapshot(folder);
        string[] args = [In(folder, cfg), In(folder, weights), In(folder, output), "--names", In(folder, names)];
        if (keras is not null)
        {
            args = [.. args, "--keras", In(folder, keras)];
        }

        var line = CliAssert.OneErrorLine(CliRunner.Run(args), 1);

        Assert.Equal($"error: {template.Replace("{0}", folder, StringComparison.Ordinal)}; writing it would destroy the input. Hint: choose another output path.", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Convert_OutputIsTheWeightsThroughARelativeSpelling_IsCaught()
    {
        var folder = Folder(weights: "w.mlmodel");
        var before = CliAssert.Snapshot(folder);
        var other = Path.Combine(folder, "..", Path.GetFileName(folder), ".", "w.mlmodel");

        var line = CliAssert.OneErrorLine(CliRunner.Run(In(folder, "demo.cfg"), In(folder, "w.mlmodel"), other), 1);

        Assert.Contains("is the same file as WEIGHTS", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Convert_OutputIsAMissingInput_IsCaughtByItsPath()
    {
        var folder = Folder();
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run(In(folder, "demo.cfg"), In(folder, "gone.mlmodel"), In(folder, "gone.mlmodel")), 1);

        Assert.Contains("is the same file as WEIGHTS", line);
        CliAssert.Unchanged(before, folder);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Convert_OutputIsALinkToTheWeights_ExitsOneAndKeepsTheWeights(bool symbolic)
    {
        var folder = Folder();
        var link = In(folder, "link.mlmodel");
        if (symbolic)
        {
            File.CreateSymbolicLink(link, In(folder, "demo.weights"));
        }
        else
        {
            using var ln = Process.Start("ln", [In(folder, "demo.weights"), link])!;
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }

        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run(In(folder, "demo.cfg"), In(folder, "demo.weights"), link), 1);

        Assert.Equal("error: OUTPUT '" + link + "' is the same file as WEIGHTS '" + In(folder, "demo.weights") + "' (through a link); writing it would destroy the input. Hint: choose another output path.", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Convert_KerasIsALinkToTheOutput_ExitsOne()
    {
        var folder = Folder();
        File.WriteAllText(In(folder, "m.mlmodel"), "previous model");
        File.CreateSymbolicLink(In(folder, "k.h5"), In(folder, "m.mlmodel"));
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run(In(folder, "demo.cfg"), In(folder, "demo.weights"), In(folder, "m.mlmodel"), "--keras", In(folder, "k.h5")), 1);

        Assert.Contains("--keras '" + In(folder, "k.h5") + "' is the same file as OUTPUT", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Detect_OutIsTheImage_ExitsOneAndKeepsTheImage()
    {
        var folder = Fixtures.TempFolder();
        var model = In(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model).Exit);
        var image = In(folder, "image.png");
        DetectOutputTests.WritePng(image, 64, 48);
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run("detect", model, image, "--out", image), 1);

        Assert.StartsWith($"error: --out '{image}' is the same file as IMAGE", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Detect_OutIsALinkToTheModel_ExitsOneAndKeepsTheModel()
    {
        var folder = Fixtures.TempFolder();
        var model = In(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model).Exit);
        File.CreateSymbolicLink(In(folder, "boxes.png"), model);
        var image = In(folder, "image.png");
        DetectOutputTests.WritePng(image, 64, 48);
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run("detect", model, image, "--out", In(folder, "boxes.png")), 1);

        Assert.Contains("is the same file as MODEL", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Convert_FailureAfterTheKerasFileWasWritten_LeavesNothing()
    {
        // channels=2: the Keras writer accepts it, the Core ML writer (written second) refuses it.
        var folder = Fixtures.TempFolder();
        var cfg = In(folder, "two.cfg");
        File.WriteAllText(cfg, File.ReadAllText(Fixtures.Repo("samples/demo.cfg")).Replace("channels=3", "channels=2", StringComparison.Ordinal));
        var weights = In(folder, "two.weights");
        SeededWeights.Write(DarknetReader.ReadCfg(File.ReadAllText(cfg), cfg), weights);
        File.WriteAllText(In(folder, "old.h5"), "previous keras file");
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run(cfg, weights, In(folder, "m.mlmodel"), "--keras", In(folder, "old.h5")), 3);

        Assert.Contains("channels=2", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Convert_OutputFolderMissing_ExitsFourWithoutWriting()
    {
        var folder = Folder();
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run(In(folder, "demo.cfg"), In(folder, "demo.weights"), In(folder, "no/such/m.mlmodel")), 4);

        Assert.Contains("the folder of OUTPUT", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Convert_OutputIsAFolder_ExitsOne()
    {
        var folder = Folder();
        Directory.CreateDirectory(In(folder, "x.mlmodel"));
        var before = CliAssert.Snapshot(folder);

        var line = CliAssert.OneErrorLine(CliRunner.Run(In(folder, "demo.cfg"), In(folder, "demo.weights"), In(folder, "x.mlmodel")), 1);

        Assert.Contains("is a directory; give a file name such as", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Convert_OutputNameOf250Characters_Works()
    {
        var folder = Folder();
        var name = new string('m', 250 - ".mlmodel".Length) + ".mlmodel";

        var (exit, _, stderr) = CliRunner.Run(In(folder, "demo.cfg"), In(folder, "demo.weights"), In(folder, name), "--keras", In(folder, new string('k', 247) + ".h5"));

        Assert.True(exit == 0, stderr);
        Assert.True(File.Exists(In(folder, name)));
        Assert.Equal(5, Directory.GetFiles(folder).Length); // cfg, weights, names, the model, the .h5: no temporary left
    }

    [Fact]
    public void OutputTransaction_TwoNewOutputsThroughALinkedFolder_AreTheSameFile()
    {
        var folder = Fixtures.TempFolder();
        Directory.CreateDirectory(In(folder, "real"));
        Directory.CreateSymbolicLink(In(folder, "alias"), In(folder, "real"));

        var ex = Assert.Throws<UsageException>(() => OutputTransaction.Begin([], [("A", In(folder, "real/x.bin")), ("B", In(folder, "alias/x.bin"))]));

        Assert.Equal($"B '{In(folder, "alias/x.bin")}' is the same file as A '{In(folder, "real/x.bin")}'; each output needs its own path.", ex.Message);
    }

    [Fact]
    public void OutputTransaction_TwoNewOutputsInOneFolder_AreDifferentFiles()
    {
        var folder = Fixtures.TempFolder();

        using var outputs = OutputTransaction.Begin([("IN", In(folder, "missing.in"))], [("A", In(folder, "x.bin")), ("B", In(folder, "y.bin"))]);

        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void OutputTransaction_NotCommitted_RemovesEveryTemporary()
    {
        var folder = Fixtures.TempFolder();
        var a = In(folder, "a.bin");
        var b = In(folder, "b.bin");
        File.WriteAllText(b, "previous");

        using (var outputs = OutputTransaction.Begin([], [("A", a), ("B", b)]))
        {
            outputs.Write(a, s =>
            {
                s.WriteByte(1);
                return 0;
            });
            Assert.Throws<IOException>(() => outputs.Write<int>(b, s => throw new IOException("disk full")));
            Assert.Equal(3, Directory.GetFiles(folder).Length); // b.bin and the two temporaries
        }

        Assert.Equal([b], Directory.GetFiles(folder));
        Assert.Equal("previous", File.ReadAllText(b));
    }

    [Fact]
    public void OutputTransaction_Committed_RenamesAllAndLeavesNoTemporary()
    {
        var folder = Fixtures.TempFolder();
        var a = In(folder, "a.bin");
        var b = In(folder, "b.bin");
        File.WriteAllText(b, "previous");

        using (var outputs = OutputTransaction.Begin([], [("A", a), ("B", b)]))
        {
            outputs.Write(a, s =>
            {
                s.WriteByte(1);
                return 0;
            });
            outputs.Write(b, s =>
            {
                s.WriteByte(2);
                return 0;
            });
            Assert.Equal([b], Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')));
            outputs.Commit();
        }

        Assert.Equal([a, b], Directory.GetFiles(folder).Order());
        Assert.Equal([2], File.ReadAllBytes(b));
    }

    [Theory]
    [InlineData(15, 143)] // SIGTERM
    [InlineData(2, 130)] // SIGINT
    public async Task Convert_SignalDuringTheWrite_RemovesTheTemporariesAndKeepsTheOldOutputs(int signal, int expectedExit)
    {
        var folder = Fixtures.TempFolder();
        var cfg = Fixtures.Shared("cfg/yolov4.cfg");
        var weights = Fixtures.SeededWeightsFile("cfg/yolov4.cfg");
        var output = In(folder, "yolov4.mlmodel");
        File.WriteAllText(output, "previous model");
        File.WriteAllText(In(folder, "yolov4.h5"), "previous keras file");
        var before = CliAssert.Snapshot(folder);

        // Started through a launcher that restores the signals' default handling: a test host started in the
        // background inherits SIGINT ignored, which a terminal's Ctrl-C never is.
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        const string Launcher = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])";
        foreach (var a in new[] { "-c", Launcher, "dotnet", Path.Combine(AppContext.BaseDirectory, "yolo4convert.dll"), cfg, weights, output, "--keras", In(folder, "yolov4.h5") })
        {
            info.ArgumentList.Add(a);
        }

        // The signal goes out from the file watcher's own thread the moment the first temporary is created (the
        // Keras file, then the model: several seconds of writing), so even a busy machine cannot make it late.
        using var process = new Process { StartInfo = info };
        var sent = 0;
        using var watcher = new FileSystemWatcher(folder) { Filter = "*", EnableRaisingEvents = true };
        watcher.Created += (_, e) =>
        {
            if (e.Name!.StartsWith(".y4c-", StringComparison.Ordinal) && Interlocked.Exchange(ref sent, 1) == 0)
            {
                _ = NativeMethods.Kill(process.Id, signal);
            }
        };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        Assert.True(process.WaitForExit(180_000), "the process did not end");
        Assert.True(sent == 1, "no temporary file was created");
        var (printed, errors) = (await stdout, await stderr);
        Assert.True(process.ExitCode == expectedExit, $"exit {process.ExitCode}; stdout {printed}; stderr {errors}");
        Assert.Equal(string.Empty, printed);
        Assert.Equal($"error: interrupted by {(signal == 2 ? "SIGINT" : "SIGTERM")}; the output was not written (temporary files removed).\n", errors);
        CliAssert.Unchanged(before, folder);
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
