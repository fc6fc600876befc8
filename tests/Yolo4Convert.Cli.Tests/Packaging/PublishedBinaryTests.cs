using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Yolo4Convert.Tests;

namespace Yolo4Convert.Cli.Tests.Packaging;

/// <summary>
/// The Native AOT linux-x64 binary from .ci/pack against the JIT build under test (run in-process): same bytes, same
/// detections, and no .NET installation needed.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class PublishedBinaryTests
{
    public static TheoryData<string, string> Models() => new()
    {
        { "samples/demo.cfg", "samples/demo.weights" },
        { Fixtures.RealModelCfg, Fixtures.RealModelWeights },
    };

    private static string Input(string relative) =>
        relative.StartsWith("samples/", StringComparison.Ordinal) ? Fixtures.Repo(relative) : Fixtures.Shared(relative);

    public static TheoryData<string, string, string> Conversions() => new()
    {
        { "samples/demo.cfg", "samples/demo.weights", string.Empty },
        { Fixtures.RealModelCfg, Fixtures.RealModelWeights, string.Empty },
        { Fixtures.RealModelCfg, Fixtures.RealModelWeights, "--nms --precision fp16 --mish native" },
        { Fixtures.RealModelCfg, Fixtures.RealModelWeights, "--quantize kmeans6" },
        { Fixtures.RealModelCfg, Fixtures.RealModelWeights, "--quantize linear8" },
    };

    [Theory]
    [MemberData(nameof(Conversions))]
    public void PublishedBinary_Convert_WritesTheJitBuildsMlmodelAndH5ByteForByte(string cfg, string weights, string options)
    {
        var binary = Artifacts.LinuxBinary;
        var folder = Fixtures.TempFolder();
        string[] Args(string name) => [Input(cfg), Input(weights), Path.Combine(folder, name + ".mlmodel"), "--keras", Path.Combine(folder, name + ".h5"),
            .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

        var jit = CliRunner.Run(Args("jit"));
        var aot = Artifacts.Run(binary, Args("aot"));

        Assert.True(jit.Exit == 0, jit.Err);
        Assert.True(aot.Exit == 0, aot.Err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "jit.mlmodel")), File.ReadAllBytes(Path.Combine(folder, "aot.mlmodel")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "jit.h5")), File.ReadAllBytes(Path.Combine(folder, "aot.h5")));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void PublishedBinary_Inspect_PrintsWhatTheJitBuildPrints(string cfg, string weights)
    {
        var binary = Artifacts.LinuxBinary;
        foreach (var extra in new[] { Array.Empty<string>(), ["--json"] })
        {
            string[] args = ["inspect", Input(cfg), Input(weights), .. extra];

            var jit = CliRunner.Run(args);
            var aot = Artifacts.Run(binary, args);

            Assert.Equal(0, jit.Exit);
            Assert.Equal((jit.Exit, jit.Out, jit.Err), aot);
        }
    }

    [Fact]
    public void PublishedBinary_JsonReportsOfConvertAndVerify_MatchTheJitBuildsButForTimings()
    {
        var binary = Artifacts.LinuxBinary;
        var folder = Fixtures.TempFolder();
        string[] convert = [Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), Path.Combine(folder, "demo.mlmodel"),
            "--keras", Path.Combine(folder, "demo.h5"), "--json"];
        string[] verify = ["verify", Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), Path.Combine(folder, "demo.mlmodel"), "--json"];
        static string WithoutTimings(string json) => System.Text.RegularExpressions.Regex.Replace(json, @"(""\w*[sS]econds"": )[0-9.eE+-]+", "${1}0");

        foreach (var args in new[] { convert, verify })
        {
            var jit = CliRunner.Run(args);
            var aot = Artifacts.Run(binary, args);

            Assert.True(jit.Exit == 0, jit.Err);
            Assert.Contains("econds\": ", jit.Out, StringComparison.Ordinal);
            Assert.Equal(WithoutTimings(jit.Out), WithoutTimings(aot.Out));
        }
    }

    [Fact]
    public void PublishedBinary_Detect_FindsTheJitBuildsObjectsAndWritesAPng()
    {
        var binary = Artifacts.LinuxBinary;
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "yolo-fastest.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model,
            "--names", Fixtures.Shared("cfg/coco.names")).Exit);
        var png = Path.Combine(folder, "boxes.png");
        string[] args = ["detect", model, Fixtures.Shared(Fixtures.DogImage), "--json"];

        var jit = CliRunner.Run(args);
        var aot = Artifacts.Run(binary, [.. args, "--out", png]);

        Assert.True(jit.Exit == 0, jit.Err);
        Assert.True(aot.Exit == 0, aot.Err);
        AssertSameDetections(jit.Out, aot.Out);
        Assert.Contains(Boxes(aot.Out), b => b.Label == "dog");
        AssertPng(png, 768, 576);
    }

    [Fact]
    public void PublishedBinary_WithTheDotnetInstallFolderHidden_ConvertsAndDetects()
    {
        var binary = Artifacts.LinuxBinary;
        // The folder of the runtime running these tests, e.g. /usr/share/dotnet (…/shared/Microsoft.NETCore.App/10.0.x/).
        var dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        Assert.True(File.Exists(Path.Combine(dotnetRoot, "dotnet")), $"no dotnet host in {dotnetRoot}");
        var folder = Fixtures.TempFolder();
        var model = Path.Combine(folder, "aot.mlmodel");
        var png = Path.Combine(folder, "boxes.png");
        // A private mount namespace with an empty tmpfs over the install folder: no host, no runtime, no SDK. An apphost
        // would fall back to that folder, so merely unsetting DOTNET_ROOT and PATH would prove nothing.
        const string Script = """
            set -e
            mount -t tmpfs tmpfs "$1"
            if [ -e "$1/dotnet" ] || [ -e "$1/shared" ] || dotnet --info >/dev/null 2>&1; then echo "the .NET install is still visible" >&2; exit 90; fi
            bin=$2; shift 2
            "$bin" "$1" "$2" "$3"
            exec "$bin" detect "$3" "$4" --out "$5" --json
            """;

        var hidden = Artifacts.Run("unshare", "--mount", "sh", "-c", Script, "sh", dotnetRoot, binary,
            Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), model, Fixtures.Shared(Fixtures.DogImage), png);

        Assert.True(hidden.Exit == 0, $"exit {hidden.Exit}: {hidden.Err}");
        Assert.True(File.Exists(Path.Combine(dotnetRoot, "dotnet")), "the install folder must be hidden only inside the namespace");
        var jitModel = Path.Combine(folder, "jit.mlmodel");
        Assert.Equal(0, CliRunner.Run(Fixtures.Shared(Fixtures.RealModelCfg), Fixtures.Shared(Fixtures.RealModelWeights), jitModel).Exit);
        Assert.Equal(File.ReadAllBytes(jitModel), File.ReadAllBytes(model));
        var jit = CliRunner.Run("detect", jitModel, Fixtures.Shared(Fixtures.DogImage), "--json");
        var converted = hidden.Out[..(hidden.Out.IndexOf('\n', StringComparison.Ordinal) + 1)];
        Assert.StartsWith($"wrote {model}: 131 Darknet layers", converted, StringComparison.Ordinal);
        AssertSameDetections(jit.Out, hidden.Out[converted.Length..]);
        AssertPng(png, 768, 576);
    }

    [Fact]
    public void PublishedBinary_AloneInAFolder_ConvertsWithoutTheSkiaLibraryAndSaysWhatDetectMisses()
    {
        // Only image reading and drawing (detect, verify --image) need libSkiaSharp.so beside the executable.
        var folder = Fixtures.TempFolder();
        var alone = Path.Combine(folder, "yolo4convert");
        File.Copy(Artifacts.LinuxBinary, alone);
        var model = Path.Combine(folder, "demo.mlmodel");

        var (exit, _, stderr) = Artifacts.Run(alone, Fixtures.Repo("samples/demo.cfg"), Fixtures.Repo("samples/demo.weights"), model);

        Assert.True(exit == 0, stderr);
        Assert.Equal(["demo.mlmodel", "yolo4convert"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var detect = Artifacts.Run(alone, "detect", model, Fixtures.Shared(Fixtures.DogImage));

        Assert.Equal(4, detect.Exit);
        Assert.StartsWith("error: SkiaSharp's native library (libSkiaSharp), which reads and draws images, could not be loaded.", detect.Err, StringComparison.Ordinal);
        Assert.Single(detect.Err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void CrossBuiltBinaries_AreSingleFilesForAppleSiliconAndWindowsX64WithSkiaInside()
    {
        // Built by .ci/pack, not run here: a signed Mach-O for arm64 and a PE for x86-64, each bundling libSkiaSharp.
        var mac = File.ReadAllBytes(Artifacts.Require("osx-arm64/yolo4convert"));
        Assert.Equal(0xFEEDFACFu, BinaryPrimitives.ReadUInt32LittleEndian(mac));
        Assert.Equal(0x0100000Cu, BinaryPrimitives.ReadUInt32LittleEndian(mac.AsSpan(4))); // CPU_TYPE_ARM64
        var commands = BinaryPrimitives.ReadUInt32LittleEndian(mac.AsSpan(16));
        var offset = 32;
        var signed = false;
        for (var i = 0; i < commands; i++)
        {
            signed |= BinaryPrimitives.ReadUInt32LittleEndian(mac.AsSpan(offset)) == 0x1D; // LC_CODE_SIGNATURE
            offset += (int)BinaryPrimitives.ReadUInt32LittleEndian(mac.AsSpan(offset + 4));
        }

        Assert.True(signed, "the osx-arm64 binary has no code signature; Apple silicon refuses to run unsigned code");
        Assert.True(mac.AsSpan().IndexOf("libSkiaSharp.dylib"u8) >= 0);

        var windows = File.ReadAllBytes(Artifacts.Require("win-x64/yolo4convert.exe"));
        var peHeader = BinaryPrimitives.ReadInt32LittleEndian(windows.AsSpan(0x3C));
        Assert.Equal(0x8664, BinaryPrimitives.ReadUInt16LittleEndian(windows.AsSpan(peHeader + 4)));
        Assert.True(windows.AsSpan().IndexOf("libSkiaSharp.dll"u8) >= 0);
    }

    private sealed record Box(string Label, double Left, double Top, double Width, double Height);

    private static List<Box> Boxes(string json) =>
        [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(b => new Box(
            b.GetProperty("label").GetString()!, b.GetProperty("left").GetDouble(), b.GetProperty("top").GetDouble(),
            b.GetProperty("width").GetDouble(), b.GetProperty("height").GetDouble()))];

    // Same classes and boxes within 0.5 px, matched one to one (ties in confidence may list them in another order).
    private static void AssertSameDetections(string expectedJson, string actualJson)
    {
        var expected = Boxes(expectedJson);
        var actual = Boxes(actualJson);
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var e in expected)
        {
            var match = actual.FirstOrDefault(a => a.Label == e.Label && Math.Abs(a.Left - e.Left) <= 0.5 && Math.Abs(a.Top - e.Top) <= 0.5
                && Math.Abs(a.Width - e.Width) <= 0.5 && Math.Abs(a.Height - e.Height) <= 0.5);
            Assert.True(match is not null, $"no detection like {e} in:\n{actualJson}");
            actual.Remove(match);
        }
    }

    private static void AssertPng(string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
