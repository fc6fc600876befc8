using System.Text;
using System.Text.Json.Nodes;
using Yolo4Convert.Darknet;
using Yolo4Convert.Keras;

namespace Yolo4Convert.Tests.Keras;

[Trait("Format", "Keras")]
public sealed class KerasNameChunksTests
{
    [Fact]
    public void Split_SmallArray_IsOneAttribute()
    {
        var parts = KerasNameChunks.Split("layer_names", ["a", "b"], 1);

        Assert.Equal(("layer_names", 2), (parts[0].Attribute, parts[0].Names.Count));
        Assert.Single(parts);
    }

    [Fact]
    public void Split_LargeArray_IsTheFewestEqualPartsUnderKerasLimitInNumpyOrder()
    {
        var names = Enumerable.Range(0, 7001).Select(i => $"n{i:D9}").ToList(); // 10 bytes each: 70,010 bytes

        var parts = KerasNameChunks.Split("layer_names", names, 10);

        // numpy.array_split(7001 names, 2): 3501 + 3500, each 35,010 bytes or less <= 64,512.
        Assert.Equal([("layer_names0", 3501), ("layer_names1", 3500)], parts.Select(p => (p.Attribute, p.Names.Count)));
        Assert.Equal(names, parts.SelectMany(p => p.Names));
    }

    [Fact]
    public void Write_NetOf3500Layers_H5pyReadsTheNamesTheKerasWayAndEveryKernel()
    {
        var folder = Fixtures.TempFolder();
        var cfg = new StringBuilder("[net]\nwidth=16\nheight=16\nchannels=3\n");
        for (var i = 0; i < 3499; i++)
        {
            cfg.Append("[convolutional]\nfilters=4\nsize=1\nactivation=leaky\n");
        }

        cfg.Append("[convolutional]\nfilters=18\nsize=1\nactivation=linear\n[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclasses=1\n");
        var shaped = DarknetReader.ReadCfg(cfg.ToString(), "deep.cfg");
        using var weightsStream = new MemoryStream();
        SeededWeights.Write(shaped, weightsStream);
        weightsStream.Position = 0;
        var weighted = DarknetWeightsReader.Read(shaped, weightsStream, "deep.weights");
        var h5 = Path.Combine(folder, "deep.h5");
        using (var stream = File.Create(h5))
        {
            new KerasH5Writer().Write(weighted, shaped, stream);
        }

        // The checker reassembles name arrays as Keras' load_attributes_from_hdf5_group does and fails on a part over 64,512 bytes.
        var summary = JsonNode.Parse(Fixtures.Python(Fixtures.Repo("tests/python/keras_h5.py"), "check", h5))!;
        Assert.Equal(7000, (int)summary["layers"]!); // input + 3500 convs + 3499 leaky
        var attributes = Fixtures.Python("-c", $"import h5py; print(sorted(h5py.File({Quote(h5)})['model_weights'].attrs.keys()))").Trim();
        Assert.Equal("['backend', 'keras_version', 'layer_names0', 'layer_names1']", attributes);

        var dump = Path.Combine(folder, "weights.bin");
        Fixtures.Python(Fixtures.Repo("tests/python/keras_h5.py"), "dump", h5, dump);
        var bytes = File.ReadAllBytes(dump);
        var kernels = 0;
        for (var p = 0; p < bytes.Length;)
        {
            var nameLength = BitConverter.ToInt32(bytes, p);
            var name = Encoding.UTF8.GetString(bytes, p + 4, nameLength);
            p += 4 + nameLength;
            var rank = BitConverter.ToInt32(bytes, p);
            var count = Enumerable.Range(0, rank).Aggregate(1, (n, d) => n * BitConverter.ToInt32(bytes, p + 4 + (4 * d)));
            p += 4 + (4 * rank);
            var index = int.Parse(name.AsSpan(5, name.IndexOf('/', StringComparison.Ordinal) - 5), System.Globalization.CultureInfo.InvariantCulture);
            var w = weighted.Weights[index]!;
            var expected = name.EndsWith("kernel:0", StringComparison.Ordinal) ? w.Kernel : w.Biases;

            // 1x1 kernels: HWIO of OIHW is a transpose of [O, I] to [I, O].
            var filters = w.Biases.Length;
            for (var k = 0; k < count; k++)
            {
                var value = BitConverter.ToSingle(bytes, p + (4 * k));
                var darknet = expected == w.Kernel ? w.Kernel[((k % filters) * (count / filters)) + (k / filters)] : w.Biases[k];
                Assert.Equal(darknet, value);
            }

            kernels += expected == w.Kernel ? 1 : 0;
            p += 4 * count;
        }

        Assert.Equal(3500, kernels);
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
