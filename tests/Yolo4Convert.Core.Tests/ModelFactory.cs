using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests;

/// <summary>A shared cfg at a test size, with seeded weights on disk, converted to an in-memory .mlmodel.</summary>
public sealed record TestModel(string CfgPath, string WeightsPath, ShapedNetwork Shaped, WeightedNetwork Weighted, byte[] ModelBytes, CoreMLWriteResult Result)
{
    public CoreMLRuntime Runtime() => CoreMLRuntime.Load(new MemoryStream(ModelBytes), "test.mlmodel");

    public static TestModel Create(string cfg, int? size, string folder, CoreMLWriterOptions? options = null, int seed = 1, string? weights = null)
    {
        var cfgPath = size is { } s ? Fixtures.CfgAtSize(cfg, s, folder) : Fixtures.Shared(cfg);
        var weightsPath = weights ?? Fixtures.SeededWeightsFile(cfg, seed);

        var (shaped, weighted) = DarknetReader.Read(TestFiles.Open(cfgPath), TestFiles.Open(weightsPath));
        using var stream = new MemoryStream();
        var result = new CoreMLWriter(options).Write(weighted, shaped, stream);
        return new TestModel(cfgPath, weightsPath, shaped, weighted, stream.ToArray(), result);
    }
}
