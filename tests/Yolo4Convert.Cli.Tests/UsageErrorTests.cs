using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>A command line that cannot run gets one line (exit 1) saying what is wrong and how it should look.</summary>
public sealed class UsageErrorTests
{
    private static string Sample(string name) => Fixtures.Repo(Path.Combine("samples", name));

    [Theory]
    [InlineData(new[] { "only.cfg" }, "error: missing WEIGHTS and OUTPUT. Usage: yolo4convert CFG WEIGHTS OUTPUT [options]. See 'yolo4convert --help'.")]
    [InlineData(new[] { "a.cfg", "b.weights" }, "error: missing OUTPUT. Usage: yolo4convert CFG WEIGHTS OUTPUT [options]. See 'yolo4convert --help'.")]
    [InlineData(new[] { "inspect" }, "error: missing CFG|MODEL. Usage: yolo4convert inspect CFG|MODEL [WEIGHTS] [options]. See 'yolo4convert inspect --help'.")]
    [InlineData(new[] { "detect", "m.mlmodel" }, "error: missing IMAGE. Usage: yolo4convert detect MODEL IMAGE [options]. See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "verify", "a.cfg" }, "error: missing WEIGHTS and MODEL. Usage: yolo4convert verify CFG WEIGHTS MODEL [options]. See 'yolo4convert verify --help'.")]
    [InlineData(new[] { "verify" }, "error: missing CFG, WEIGHTS and MODEL. Usage: yolo4convert verify CFG WEIGHTS MODEL [options]. See 'yolo4convert verify --help'.")]
    [InlineData(new[] { "a.cfg", "b.weights", "c.mlmodel", "d" }, "error: unexpected argument 'd'. Usage: yolo4convert CFG WEIGHTS OUTPUT [options]. See 'yolo4convert --help'.")]
    [InlineData(new[] { "detect", "m.mlmodel", "i.png", "--names" }, "error: option '--names' needs a value: --names FILE. See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "a.cfg", "b.weights", "c.mlmodel", "--keras" }, "error: option '--keras' needs a value: --keras FILE.h5. See 'yolo4convert --help'.")]
    public void MissingOrExtraArgument_OneLineWithTheExpectedForm(string[] args, string expected)
    {
        Assert.Equal(expected, CliAssert.OneErrorLine(CliRunner.Run(args), 1));
    }

    [Theory]
    [InlineData(new[] { "inspecct", "yolov4.cfg" }, "error: unknown command 'inspecct'. Did you mean 'inspect'? See 'yolo4convert --help'.")]
    [InlineData(new[] { "detcet", "m.mlmodel", "i.png" }, "error: unknown command 'detcet'. Did you mean 'detect'? See 'yolo4convert --help'.")]
    [InlineData(new[] { "verfy" }, "error: unknown command 'verfy'. Did you mean 'verify'? See 'yolo4convert --help'.")]
    [InlineData(new[] { "a.cfg", "b.weights", "c.mlmodel", "--mihs", "native" }, "error: unknown option '--mihs'. Did you mean '--mish'? See 'yolo4convert --help'.")]
    [InlineData(new[] { "a.cfg", "b.weights", "c.mlmodel", "--output-name", "x" }, "error: unknown option '--output-name'. Did you mean '--output-names'? See 'yolo4convert --help'.")]
    [InlineData(new[] { "detect", "m.mlmodel", "i.png", "--treshold", "0.5" }, "error: unknown option '--treshold'. Did you mean '--threshold'? See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "inspect", "a.cfg", "--jsn" }, "error: unknown option '--jsn'. Did you mean '--json'? See 'yolo4convert inspect --help'.")]
    [InlineData(new[] { "a.cfg", "b.weights", "c.mlmodel", "--mish", "nativ" }, "error: --mish 'nativ' is not one of custom, native, stable. Did you mean 'native'? See 'yolo4convert --help'.")]
    [InlineData(new[] { "a.cfg", "b.weights", "c.mlmodel", "--mish", "fast" }, "error: --mish 'fast' is not one of custom, native, stable. See 'yolo4convert --help'.")]
    [InlineData(new[] { "detect", "m.mlmodel", "i.png", "--frobnicate" }, "error: unknown option '--frobnicate' for 'detect'. Usage: yolo4convert detect MODEL IMAGE [options]. See 'yolo4convert detect --help'.")]
    public void Typo_SuggestsTheNearestCommandOrOption(string[] args, string expected)
    {
        Assert.Equal(expected, CliAssert.OneErrorLine(CliRunner.Run(args), 1));
    }

    [Fact]
    public void Typo_AnExistingFileNamedLikeACommand_IsTakenAsTheCfg()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "inspec");
        File.Copy(Sample("demo.cfg"), cfg);

        var (exit, _, stderr) = CliRunner.Run(cfg, Sample("demo.weights"), Path.Combine(folder, "m.mlmodel"));

        Assert.True(exit == 0, stderr);
    }

    [Theory]
    [InlineData("detect", "--threshold", "NaN", "--threshold 'NaN' is not a number from 0 to 1 (e.g. --threshold 0.25).")]
    [InlineData("detect", "--threshold", "Infinity", "--threshold 'Infinity' is not a number from 0 to 1 (e.g. --threshold 0.25).")]
    [InlineData("detect", "--threshold", "1.5", "--threshold '1.5' is not a number from 0 to 1 (e.g. --threshold 0.25).")]
    [InlineData("detect", "--threshold", "abc", "--threshold 'abc' is not a number from 0 to 1 (e.g. --threshold 0.25).")]
    [InlineData("detect", "--iou", "nan", "--iou 'nan' is not a number from 0 to 1 (e.g. --iou 0.45).")]
    [InlineData("detect", "--iou", "-0.1", "--iou '-0.1' is not a number from 0 to 1 (e.g. --iou 0.45).")]
    [InlineData("detect", "--max-detections", "0", "--max-detections '0' is not a whole number from 1 to 100000 (e.g. --max-detections 300).")]
    [InlineData("detect", "--max-detections", "99999999999", "--max-detections '99999999999' is not a whole number from 1 to 100000 (e.g. --max-detections 300).")]
    [InlineData("verify", "--tolerance", "NaN", "--tolerance 'NaN' is not a number greater than 0 and less than 1 (e.g. --tolerance 1e-4).")]
    [InlineData("verify", "--tolerance", "-Infinity", "--tolerance '-Infinity' is not a number greater than 0 and less than 1 (e.g. --tolerance 1e-4).")]
    [InlineData("verify", "--tolerance", "0", "--tolerance '0' is not a number greater than 0 and less than 1 (e.g. --tolerance 1e-4).")]
    [InlineData("verify", "--tolerance", "1", "--tolerance '1' is not a number greater than 0 and less than 1 (e.g. --tolerance 1e-4).")]
    [InlineData("inspect", "--size", "2147483647x416", "--size 2147483647x416: each side must be a multiple of 32 from 32 to 4096, e.g. 416x416.")]
    [InlineData("inspect", "--size", "99999999999x416", "--size '99999999999x416' is not WIDTHxHEIGHT, e.g. 416x416.")]
    [InlineData("inspect", "--size", "0x0", "--size 0x0: each side must be a multiple of 32 from 32 to 4096, e.g. 416x416.")]
    [InlineData("inspect", "--size", "417x416", "--size 417x416: each side must be a multiple of 32 from 32 to 4096, e.g. 416x416.")]
    [InlineData("inspect", "--size", "8192x8192", "--size 8192x8192: each side must be a multiple of 32 from 32 to 4096, e.g. 416x416.")]
    [InlineData("inspect", "--size", "416", "--size '416' is not WIDTHxHEIGHT, e.g. 416x416.")]
    [InlineData("convert", "--size", "-416x416", "--size '-416x416' is not WIDTHxHEIGHT, e.g. 416x416.")]
    public void NumericOption_OutOfRangeOrNotFinite_IsAUsageError(string command, string option, string value, string expected)
    {
        // Real files, so that nothing but the option can be wrong.
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "demo.mlmodel");
        Assert.Equal(0, CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), model).Exit);
        var image = Path.Combine(folder, "image.png");
        DetectOutputTests.WritePng(image, 32, 32);
        var before = CliAssert.Snapshot(folder);
        string[] args = command switch
        {
            "detect" => ["detect", model, image],
            "verify" => ["verify", Sample("demo.cfg"), Sample("demo.weights"), model],
            "inspect" => ["inspect", Sample("demo.cfg")],
            _ => [Sample("demo.cfg"), Sample("demo.weights"), Path.Combine(folder, "new.mlmodel")],
        };

        var line = CliAssert.OneErrorLine(CliRunner.Run([.. args, option, value]), 1);

        Assert.StartsWith("error: " + expected + " See 'yolo4convert", line);
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Keras_BesideAnH5Output_IsAUsageError()
    {
        var folder = Fixtures.TempFolder();

        var line = CliAssert.OneErrorLine(CliRunner.Run(Sample("demo.cfg"), Sample("demo.weights"), Path.Combine(folder, "a.h5"), "--keras", Path.Combine(folder, "b.h5")), 1);

        Assert.Equal("error: OUTPUT 'a.h5' is already the Keras file; --keras is for writing a .h5 beside a .mlmodel OUTPUT. See 'yolo4convert --help'.", line);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void Size_InRange_StillConverts()
    {
        var (exit, stdout, _) = CliRunner.Run("inspect", Sample("demo.cfg"), "--size", "320x192");

        Assert.Equal(0, exit);
        Assert.Contains("320 x 192 x 3", stdout);
    }

    [Theory]
    [InlineData(new[] { "inspect", "--json" }, "error: missing CFG|MODEL. Usage: yolo4convert inspect CFG|MODEL [WEIGHTS] [options]. See 'yolo4convert inspect --help'.")]
    [InlineData(new[] { "detect", "m.mlmodel", "i.png", "--threshold", "NaN", "--json" }, "error: --threshold 'NaN' is not a number from 0 to 1 (e.g. --threshold 0.25). See 'yolo4convert detect --help'.")]
    [InlineData(new[] { "inspecct", "--json" }, "error: unknown command 'inspecct'. Did you mean 'inspect'? See 'yolo4convert --help'.")]
    [InlineData(new[] { "a.cfg", "--json" }, "error: missing WEIGHTS and OUTPUT. Usage: yolo4convert CFG WEIGHTS OUTPUT [options]. See 'yolo4convert --help'.")]
    public void Json_UsageError_IsOneJsonObjectOnStdout(string[] args, string expected)
    {
        var error = CliAssert.JsonError(CliRunner.Run(args), 1);

        Assert.Equal(expected, error.GetProperty("message").GetString());
        Assert.False(error.TryGetProperty("file", out _));
    }

    [Fact]
    public void Json_CfgError_CarriesFileAndLine()
    {
        var folder = Fixtures.TempFolder();
        var cfg = Path.Combine(folder, "bad.cfg");
        File.WriteAllText(cfg, "[net]\nwidth=32\nheight=32\nchannels=3\n\n[lstm]\noutput=4\n");
        var before = CliAssert.Snapshot(folder);

        var error = CliAssert.JsonError(CliRunner.Run(cfg, Sample("demo.weights"), Path.Combine(folder, "m.mlmodel"), "--json"), 3);

        Assert.Equal(cfg, error.GetProperty("file").GetString());
        Assert.Equal(6, error.GetProperty("line").GetInt32());
        Assert.Equal(1, error.GetProperty("column").GetInt32());
        Assert.StartsWith($"{cfg}:6:1: error: layer 0 is a [lstm] section", error.GetProperty("message").GetString());
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Json_WeightsError_CarriesFileAndByteOffset()
    {
        var folder = Fixtures.TempFolder();
        var output = Path.Combine(folder, "m.mlmodel");
        File.WriteAllText(output, "previous model");
        var before = CliAssert.Snapshot(folder);

        var error = CliAssert.JsonError(CliRunner.Run(Fixtures.Shared("cfg/yolov4-tiny.cfg"), Sample("demo.weights"), output, "--json"), 2);

        Assert.Equal(Sample("demo.weights"), error.GetProperty("file").GetString());
        Assert.Equal(323_988, error.GetProperty("offset").GetInt64());
        Assert.False(error.TryGetProperty("line", out _));
        CliAssert.Unchanged(before, folder);
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("detect")]
    [InlineData("verify")]
    [InlineData("convert")]
    public void Json_MissingFile_IsExitFourAsJson(string command)
    {
        var folder = Fixtures.TempFolder();
        var missing = Path.Combine(folder, "missing.file");
        string[] args = command switch
        {
            "inspect" => ["inspect", missing],
            "detect" => ["detect", missing, missing],
            "verify" => ["verify", missing, missing, missing],
            _ => [missing, missing, Path.Combine(folder, "m.mlmodel")],
        };

        var error = CliAssert.JsonError(CliRunner.Run([.. args, "--json"]), 4);

        Assert.Contains("missing.file", error.GetProperty("message").GetString());
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void Json_OutputIsAnInput_IsExitOneAsJson()
    {
        var folder = Fixtures.TempFolder();
        var weights = Path.Combine(folder, "w.mlmodel");
        File.Copy(Sample("demo.weights"), weights);
        var before = CliAssert.Snapshot(folder);

        var error = CliAssert.JsonError(CliRunner.Run(Sample("demo.cfg"), weights, weights, "--json"), 1);

        Assert.Contains("is the same file as WEIGHTS", error.GetProperty("message").GetString());
        CliAssert.Unchanged(before, folder);
    }

    [Fact]
    public void Echo_LongOrControlCharacters_IsCutAndEscaped()
    {
        var line = CliAssert.OneErrorLine(CliRunner.Run("detect", "m.mlmodel", "i.png", "--threshold", "1\u001b[31m" + new string('9', 500)), 1);

        Assert.StartsWith("error: --threshold '1\\x1B[31m99999", line);
        Assert.Contains("9…' is not a number", line);
        Assert.True(line.Length < 200, line);
    }

    [Theory]
    [InlineData("inspecct", "inspect", 1)]
    [InlineData("verfiy", "verify", 1)]
    [InlineData("mihs", "mish", 1)]
    [InlineData("abc", "abd", 1)]
    [InlineData("", "abc", 3)]
    public void Distance_CountsEditsAndSwaps(string a, string b, int expected) => Assert.Equal(expected, UsageErrors.Distance(a, b));
}
