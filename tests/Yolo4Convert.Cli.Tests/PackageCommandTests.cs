using System.Security.Cryptography;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests;

/// <summary>convert to an ML Program package (.mlpackage): the summary, the options, and the folder output's safety.</summary>
public sealed class PackageCommandTests
{
    private static string Folder()
    {
        var folder = Fixtures.TempFolder();
        File.Copy(Fixtures.Repo("samples/demo.cfg"), Path.Combine(folder, "demo.cfg"));
        File.Copy(Fixtures.Repo("samples/demo.weights"), Path.Combine(folder, "demo.weights"));
        return folder;
    }

    private static (int Exit, string Out, string Err) Convert(string folder, string output, params string[] more) =>
        CliRunner.Run([Path.Combine(folder, "demo.cfg"), Path.Combine(folder, "demo.weights"), Path.Combine(folder, output), .. more]);

    // Every file under a folder (relative path → SHA-256), so that a package's whole content can be compared.
    private static Dictionary<string, string> Tree(string folder) => Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
        f => Path.GetRelativePath(folder, f), f => System.Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static void NoTemporaries(string folder) => Assert.Empty(Directory.GetFileSystemEntries(folder, ".y4c-*"));

    [Fact]
    public void Convert_ToMlpackage_WritesThePackageAndNamesFormatSpecOpsetPrecisionAndSize()
    {
        var folder = Folder();

        var (exit, stdout, stderr) = Convert(folder, "demo.mlpackage");

        Assert.True(exit == 0, stderr);
        var package = Path.Combine(folder, "demo.mlpackage");
        Assert.Equal(
            ["Data/com.apple.CoreML/model.mlmodel", "Data/com.apple.CoreML/weights/weight.bin", "Manifest.json"],
            Tree(package).Keys.Select(k => k.Replace('\\', '/')).Order(StringComparer.Ordinal));
        var mb = (Directory.GetFiles(package, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Matches(
            $@"^wrote {System.Text.RegularExpressions.Regex.Escape(package)}: ML Program package, \d+ Darknet layers -> \d+ MIL ops, mish: stable \(built-in ops\), spec 6 \(iOS15\+, opset CoreML5\), fp16, {mb} MB, outputs head_s16\[1x\d+x10x10\] head_s8\[1x\d+x20x20\], [0-9.]+ s\n$",
            stdout);
        NoTemporaries(folder);
    }

    [Fact]
    public void Convert_SamePackageTwice_GivesTheSameBytes()
    {
        var folder = Folder();
        Assert.Equal(0, Convert(folder, "a.mlpackage", "--precision", "fp32").Exit);
        Assert.Equal(0, Convert(folder, "b.mlpackage", "--precision", "fp32").Exit);

        Assert.Equal(Tree(Path.Combine(folder, "a.mlpackage")), Tree(Path.Combine(folder, "b.mlpackage")));
    }

    [Fact]
    public void Convert_OverAnExistingPackage_ReplacesItOnlyWhenTheWriteSucceeds()
    {
        var folder = Folder();
        var package = Path.Combine(folder, "demo.mlpackage");
        Assert.Equal(0, Convert(folder, "demo.mlpackage", "--precision", "fp32").Exit);
        var before = Tree(package);

        // Weights far beyond half precision's range fail the fp16 write half-way, after the temporary package exists.
        var bytes = File.ReadAllBytes(Path.Combine(folder, "demo.weights"));
        for (var i = 20; i + 4 <= bytes.Length; i += 4)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i), 1e6f);
        }

        File.WriteAllBytes(Path.Combine(folder, "huge.weights"), bytes);
        var failed = CliRunner.Run(Path.Combine(folder, "demo.cfg"), Path.Combine(folder, "huge.weights"), package, "--precision", "fp16");

        Assert.Equal(3, failed.Exit);
        Assert.Contains("beyond half precision's range", failed.Err, StringComparison.Ordinal);
        Assert.Equal(before, Tree(package));
        NoTemporaries(folder);

        Assert.Equal(0, Convert(folder, "demo.mlpackage", "--precision", "fp16").Exit);
        var after = Tree(package);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.NotEqual(before[Path.Combine("Data", "com.apple.CoreML", "weights", "weight.bin")], after[Path.Combine("Data", "com.apple.CoreML", "weights", "weight.bin")]);
        NoTemporaries(folder);
    }

    [Fact]
    public void Convert_OntoAFolderThatIsNotAPackage_ExitsOneAndKeepsIt()
    {
        var folder = Folder();
        var target = Path.Combine(folder, "photos.mlpackage");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "mine");

        var line = CliAssert.OneErrorLine(Convert(folder, "photos.mlpackage"), 1);

        Assert.Contains("is a folder that is not a Core ML package (no Manifest.json)", line, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(target, "keep.txt")));
        NoTemporaries(folder);
    }

    [Fact]
    public void Convert_PackageWithMishCustom_IsAUsageErrorWithAHint()
    {
        var folder = Folder();

        var line = CliAssert.OneErrorLine(Convert(folder, "demo.mlpackage", "--mish", "custom"), 1);

        Assert.Equal("error: --mish custom: an ML Program (.mlpackage) has no custom layers. Hint: leave out --mish for built-in ops in the half-precision-safe form, or pass --mish native.", line);
        Assert.False(Directory.Exists(Path.Combine(folder, "demo.mlpackage")));
    }

    [Theory]
    [InlineData("iOS17", "spec 8 (iOS17+, opset CoreML7)")]
    [InlineData("macOS13", "spec 7 (iOS16+, opset CoreML6)")]
    public void Convert_PinnedTarget_SetsSpecAndOpset(string target, string expected)
    {
        var folder = Folder();

        var (exit, stdout, stderr) = Convert(folder, "demo.mlpackage", "--target", target);

        Assert.True(exit == 0, stderr);
        Assert.Contains(expected, stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo.mlmodel", new[] { "--target", "iOS16" }, "error: --target iOS16 chooses the OS of an ML Program; OUTPUT must be a .mlpackage. See 'yolo4convert --help'.")]
    [InlineData("demo.mlpackage", new[] { "--target", "iOS14" }, "error: --target 'iOS14' is not a target; expected iOS15, iOS16, iOS17 or iOS18 (or macOS12...macOS15). See 'yolo4convert --help'.")]
    public void Convert_BadTarget_IsAUsageError(string output, string[] args, string expected)
    {
        var folder = Folder();

        var line = CliAssert.OneErrorLine(Convert(folder, output, args), 1);

        Assert.Equal(expected, line);
    }

    [Theory]
    [InlineData("linear8")]
    [InlineData("kmeans4")]
    public void Convert_PackageWithQuantize_RaisesTheTargetToIOS16AndNamesTheWeights(string format)
    {
        var folder = Folder();

        var (exit, stdout, stderr) = Convert(folder, "demo.mlpackage", "--quantize", format);

        Assert.True(exit == 0, stderr);
        Assert.Matches($@", spec 7 \(iOS16\+, opset CoreML6\), fp16, weights {format}( \(\d+ small convs in fp16, --verbose lists them\))?, ", stdout);
        Assert.True(File.Exists(Path.Combine(folder, "demo.mlpackage", "Data/com.apple.CoreML/weights/weight.bin")));
    }

    [Theory]
    [InlineData("linear8", "iOS15", "--quantize linear8 needs iOS16 (its constexpr weight ops arrived with opset CoreML6); --target iOS15 cannot express it.")]
    [InlineData("kmeans4", "iOS18", "--quantize kmeans4 with --target iOS18: opset CoreML8 replaced constexpr_lut_to_dense with a per-group form")]
    public void Convert_QuantizeWithATargetThatCannotExpressIt_IsUnsupportedAndWritesNothing(string format, string target, string expected)
    {
        var folder = Folder();

        var line = CliAssert.OneErrorLine(Convert(folder, "demo.mlpackage", "--quantize", format, "--target", target), 3);

        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Contains("Hint:", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, "demo.mlpackage")));
        NoTemporaries(folder);
    }
}
