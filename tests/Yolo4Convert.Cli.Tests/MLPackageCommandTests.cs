using System.Text.Json;
using Yolo4Convert.Tests;
using Yolo4Convert.Tests.Runtime.MLProgram;

namespace Yolo4Convert.Cli.Tests;

/// <summary>detect and verify take an .mlpackage directory as MODEL; a damaged one exits 2 with the file and offset.</summary>
public sealed class MLPackageCommandTests
{
    private static string Package(string folder)
    {
        var b = new MilPackageBuilder(3, 8, 8);
        b.Const("w", [2, 3, 1, 1], [0.5f, -1f, 0.25f, 1f, 2f, -0.5f], blob: true);
        b.Op("conv", "out", [1, 2, 8, 8], ("x", [MilPackageBuilder.Input]), ("weight", ["w"]));
        return b.Write(folder, ("out", [1, 2, 8, 8]));
    }

    [Fact]
    public void Detect_DamagedBlobSentinel_ExitsTwoWithFileAndOffset()
    {
        var package = Package(Fixtures.TempFolder());
        using (var stream = new FileStream(MilPackageBuilder.WeightFile(package), FileMode.Open, FileAccess.Write))
        {
            stream.Position = 64;
            stream.Write([1, 2, 3, 4]);
        }

        var (exit, stdout, stderr) = CliRunner.Run("detect", package, Fixtures.Shared(Fixtures.DogImage));

        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("weight.bin@64: error: the blob metadata starts with 0x04030201; expected the sentinel 0xDEADBEEF.", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Detect_PackageWithoutManifest_ExitsFourAsAFolder()
    {
        var package = Package(Fixtures.TempFolder());
        File.Delete(Path.Combine(package, "Manifest.json"));

        var (exit, stdout, _) = CliRunner.Run("detect", package, Fixtures.Shared(Fixtures.DogImage), "--json");

        Assert.Equal(4, exit);
        Assert.Contains("is a directory, not a file", stdout);
    }

    [Fact]
    public void Detect_IntactPackage_GetsPastLoading()
    {
        var package = Package(Fixtures.TempFolder());

        var (exit, stdout, _) = CliRunner.Run("detect", package, Fixtures.Shared(Fixtures.DogImage), "--json");

        // The hand-built package has raw outputs but no head metadata: the error is about the heads, not the file.
        using var error = JsonDocument.Parse(stdout);
        Assert.NotEqual(4, exit);
        Assert.DoesNotContain("directory", error.RootElement.GetRawText(), StringComparison.Ordinal);
    }
}

/// <summary>inspect reads an .mlpackage directory: format, interface, op counts, weights.</summary>
public sealed class MLPackageInspectTests
{
    [Fact]
    public void Inspect_Package_ListsFormatOpsAndWeights()
    {
        var b = new MilPackageBuilder(3, 8, 8);
        b.Const("w", [2, 3, 1, 1], [0.5f, -1f, 0.25f, 1f, 2f, -0.5f], blob: true);
        b.Op("conv", "c", [1, 2, 8, 8], ("x", [MilPackageBuilder.Input]), ("weight", ["w"]));
        b.Op("relu", "out", [1, 2, 8, 8], ("x", ["c"]));
        var package = b.Write(Fixtures.TempFolder(), ("out", [1, 2, 8, 8]));

        var (exit, stdout, stderr) = CliRunner.Run("inspect", package);

        Assert.True(exit == 0, stderr);
        Assert.Contains("format: ML Program .mlpackage (opset CoreML6), spec 7", stdout);
        Assert.Contains("input:  image  image 8x8 RGB", stdout);
        Assert.Contains("layers: 2 (conv 1, relu 1)", stdout);
        Assert.Matches(@"conv kernels\s+fp32\s+1 tensors\s+6 values\s+24 bytes", stdout);
    }

    [Fact]
    public void Inspect_QuantizedPackage_CountsTheCompressedKernelsByFormat()
    {
        var folder = Fixtures.TempFolder();
        var package = Path.Combine(folder, "q.mlpackage");
        var (exit, _, stderr) = CliRunner.Run(Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), package, "--quantize", "kmeans4");
        Assert.True(exit == 0, stderr);

        var (inspected, stdout, err) = CliRunner.Run("inspect", package);

        Assert.True(inspected == 0, err);
        var kernels = System.Text.RegularExpressions.Regex.Match(stdout, @"conv kernels\s+kmeans4\s+(\d+) tensors\s+([\d,]+) values\s+([\d,]+) bytes");
        Assert.True(kernels.Success, stdout);
        var values = long.Parse(kernels.Groups[2].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        var bytes = long.Parse(kernels.Groups[3].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        var tensors = int.Parse(kernels.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var fixedPart = tensors * ((16 * 2) + (4 * 4)); // per kernel: 16 fp16 table entries, a uint32 OIHW shape
        Assert.InRange(bytes, (values / 2) + fixedPart, (values / 2) + fixedPart + tensors); // 4-bit indices, a byte rounded up per kernel
        Assert.DoesNotContain("constexpr", stdout, StringComparison.Ordinal);
    }
}
