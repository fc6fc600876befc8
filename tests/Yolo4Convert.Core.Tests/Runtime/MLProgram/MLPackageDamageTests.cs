using Yolo4Convert.Diagnostics;
using Yolo4Convert.Runtime;
using Yolo4Convert.Runtime.MLProgram;

namespace Yolo4Convert.Tests.Runtime.MLProgram;

/// <summary>A damaged package fails at load with the file and, in weight.bin, the byte offset of the field at fault.</summary>
public sealed class MLPackageDamageTests
{
    // image → conv with a blob weight → out; returns the package path.
    internal static string ConvPackage(string folder)
    {
        var b = new MilPackageBuilder(3, 8, 8);
        b.Const("w", [2, 3, 1, 1], [0.5f, -1f, 0.25f, 1f, 2f, -0.5f], blob: true);
        b.Op("conv", "out", [1, 2, 8, 8], ("x", [MilPackageBuilder.Input]), ("weight", ["w"]));
        return b.Write(folder, ("out", [1, 2, 8, 8]));
    }

    private static void Poke(string file, long offset, params byte[] bytes)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(bytes);
    }

    [Fact]
    public void IntactPackage_LoadsThroughLoadedModel()
    {
        var loaded = LoadedModel.Load(TestFiles.OpenFolder(ConvPackage(Fixtures.TempFolder())));
        Assert.IsType<MLProgramRuntime>(loaded.Network);
        Assert.Equal(8, loaded.Info.Width);
        Assert.Equal(("out", new Graph.TensorShape(2, 8, 8)), loaded.Info.Outputs.Single());
    }

    [Fact]
    public void BadSentinel_NamesWeightFileAndMetadataOffset()
    {
        var package = ConvPackage(Fixtures.TempFolder());
        Poke(MilPackageBuilder.WeightFile(package), 64, 0, 0, 0, 0);
        var ex = Assert.Throws<ModelFormatException>(() => LoadedModel.Load(TestFiles.OpenFolder(package)));
        Assert.EndsWith("weight.bin", ex.Location!.File);
        Assert.Equal(64, ex.Location.ByteOffset);
        Assert.Contains("0xDEADBEEF", ex.Message);
    }

    [Fact]
    public void DataOffsetPastTheEnd_NamesTheOffsetField()
    {
        var package = ConvPackage(Fixtures.TempFolder());
        Poke(MilPackageBuilder.WeightFile(package), 64 + 16, BitConverter.GetBytes(1_000_000L));
        var ex = Assert.Throws<ModelFormatException>(() => LoadedModel.Load(TestFiles.OpenFolder(package)));
        Assert.Equal(80, ex.Location!.ByteOffset);
        Assert.Contains("runs past the end of the file", ex.Message);
    }

    [Fact]
    public void StorageVersionOne_IsRefusedAtTheHeader()
    {
        var package = ConvPackage(Fixtures.TempFolder());
        Poke(MilPackageBuilder.WeightFile(package), 4, 1, 0, 0, 0);
        var ex = Assert.Throws<ModelFormatException>(() => LoadedModel.Load(TestFiles.OpenFolder(package)));
        Assert.Equal(4, ex.Location!.ByteOffset);
        Assert.Contains("version 1; expected 2", ex.Message);
    }

    [Fact]
    public void WrongBlobDataType_NamesTheTypeField()
    {
        var package = ConvPackage(Fixtures.TempFolder());
        Poke(MilPackageBuilder.WeightFile(package), 68, 1, 0, 0, 0);
        var ex = Assert.Throws<ModelFormatException>(() => LoadedModel.Load(TestFiles.OpenFolder(package)));
        Assert.Equal(68, ex.Location!.ByteOffset);
    }

    [Fact]
    public void RootModelMissingFromTheManifest_NamesTheManifest()
    {
        var package = ConvPackage(Fixtures.TempFolder());
        var manifest = Path.Combine(package, "Manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"rootModelIdentifier\": \"A1B2C3D4-0000-0000-0000-000000000001\"", "\"rootModelIdentifier\": \"gone\"", StringComparison.Ordinal));
        var ex = Assert.Throws<ModelFormatException>(() => LoadedModel.Load(TestFiles.OpenFolder(package)));
        Assert.Equal(manifest, ex.Location!.File);
        Assert.Contains("'gone' has no entry", ex.Message);
    }

    [Fact]
    public void UnknownOp_IsNamed()
    {
        var b = new MilPackageBuilder(1, 2, 2);
        b.Op("gelu", "out", [1, 1, 2, 2], ("x", [MilPackageBuilder.Input]));
        var package = b.Write(Fixtures.TempFolder(), ("out", [1, 1, 2, 2]));
        var ex = Assert.Throws<UnsupportedFeatureException>(() => MLProgramRuntime.Load(TestFiles.OpenFolder(package)));
        Assert.Contains("'gelu'", ex.Message);
    }

    [Fact]
    public void DeclaredShapeThatDisagrees_IsRefusedBeforeRunning()
    {
        var b = new MilPackageBuilder(1, 4, 4);
        b.Ints("k", [2, 2]);
        b.Text("valid", "valid");
        b.Op("max_pool", "out", [1, 1, 3, 3], ("x", [MilPackageBuilder.Input]), ("kernel_sizes", ["k"]), ("strides", ["k"]), ("pad_type", ["valid"]));
        var package = b.Write(Fixtures.TempFolder(), ("out", [1, 1, 3, 3]));
        var ex = Assert.Throws<ModelFormatException>(() => MLProgramRuntime.Load(TestFiles.OpenFolder(package)));
        Assert.Contains("declares its output [1,1,3,3] but computes [1,1,2,2]", ex.Message);
    }
}
