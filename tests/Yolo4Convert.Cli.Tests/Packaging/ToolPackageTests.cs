using System.Buffers.Binary;
using System.IO.Compression;
using System.Xml.Linq;

namespace Yolo4Convert.Cli.Tests.Packaging;

[Trait("Category", "Packaging")]
public sealed class ToolPackageTests
{
    private const string ToolFolder = "tools/net10.0/any/";

    private static Dictionary<string, byte[]> Entries(params string[] names)
    {
        using var zip = ZipFile.OpenRead(Artifacts.ToolPackage);
        return names.ToDictionary(n => n, n =>
        {
            var entry = zip.GetEntry(n) ?? throw new Xunit.Sdk.XunitException(
                $"{Path.GetFileName(Artifacts.ToolPackage)} has no entry {n}; it has:\n{string.Join("\n", zip.Entries.Select(e => e.FullName))}");
            using var s = entry.Open();
            var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        });
    }

    [Fact]
    public void ToolPackage_NameAndVersion_MatchTheBuild()
    {
        var version = Artifacts.JitVersion.Split('+')[0];

        Assert.Equal($"yolo4convert.{version}.nupkg", Path.GetFileName(Artifacts.ToolPackage));
    }

    [Fact]
    public void ToolPackage_Metadata_IsADotnetToolWithLicenceReadmeAndNoUrls()
    {
        var entries = Entries("yolo4convert.nuspec", "README.md", ToolFolder + "DotnetToolSettings.xml", ToolFolder + "yolo4convert.dll");
        var nuspec = XDocument.Parse(System.Text.Encoding.UTF8.GetString(entries["yolo4convert.nuspec"]).TrimStart('\uFEFF'));
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;

        Assert.Equal("yolo4convert", Field("id"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.Contains("Core ML", Field("description"), StringComparison.Ordinal);
        Assert.Contains("darknet", Field("tags").Split(' '));
        Assert.Equal("DotnetTool", metadata.Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name")!.Value);
        Assert.DoesNotContain(metadata.Elements(), e => e.Name.LocalName is "projectUrl" or "iconUrl");
        Assert.Equal(File.ReadAllBytes(Yolo4Convert.Tests.Fixtures.Repo("README.md")), entries["README.md"]);
        var command = XDocument.Parse(System.Text.Encoding.UTF8.GetString(entries[ToolFolder + "DotnetToolSettings.xml"]).TrimStart('\uFEFF'))
            .Descendants("Command").Single();
        Assert.Equal("yolo4convert", command.Attribute("Name")!.Value);
        Assert.Equal("yolo4convert.dll", command.Attribute("EntryPoint")!.Value);
    }

    [Fact]
    public void ToolPackage_NativeSkia_IsThereForLinuxX64OsxArm64OsxX64AndWinX64()
    {
        var entries = Entries(
            ToolFolder + "runtimes/linux-x64/native/libSkiaSharp.so",
            ToolFolder + "runtimes/osx/native/libSkiaSharp.dylib",
            ToolFolder + "runtimes/win-x64/native/libSkiaSharp.dll");

        // linux-x64: an ELF shared object for x86-64 (e_machine 62).
        var elf = entries[ToolFolder + "runtimes/linux-x64/native/libSkiaSharp.so"];
        Assert.Equal([0x7F, (byte)'E', (byte)'L', (byte)'F'], elf[..4]);
        Assert.Equal(62, BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(18)));

        // osx-arm64 and osx-x64 both fall back to runtimes/osx: one universal Mach-O holding arm64 and x86_64.
        var macho = entries[ToolFolder + "runtimes/osx/native/libSkiaSharp.dylib"];
        Assert.Equal(0xCAFEBABEu, BinaryPrimitives.ReadUInt32BigEndian(macho));
        var architectures = Enumerable.Range(0, (int)BinaryPrimitives.ReadUInt32BigEndian(macho.AsSpan(4)))
            .Select(i => BinaryPrimitives.ReadUInt32BigEndian(macho.AsSpan(8 + (20 * i))))
            .ToList();
        Assert.Contains(0x0100000Cu, architectures); // CPU_TYPE_ARM64
        Assert.Contains(0x01000007u, architectures); // CPU_TYPE_X86_64

        // win-x64: a PE image for AMD64 (machine 0x8664).
        var pe = entries[ToolFolder + "runtimes/win-x64/native/libSkiaSharp.dll"];
        Assert.Equal([(byte)'M', (byte)'Z'], pe[..2]);
        var peHeader = BinaryPrimitives.ReadInt32LittleEndian(pe.AsSpan(0x3C));
        Assert.Equal(0x00004550u, BinaryPrimitives.ReadUInt32LittleEndian(pe.AsSpan(peHeader)));
        Assert.Equal(0x8664, BinaryPrimitives.ReadUInt16LittleEndian(pe.AsSpan(peHeader + 4)));
    }
}
