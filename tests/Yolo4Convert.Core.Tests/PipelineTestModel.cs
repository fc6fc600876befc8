using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Darknet;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests;

/// <summary>A shared cfg at a test size with seeded (or given) weights, converted to an in-memory --nms pipeline.</summary>
public sealed record PipelineTestModel(string CfgPath, string WeightsPath, byte[] ModelBytes, PipelineWriteResult Result)
{
    public PipelineRuntime Runtime() => LoadedModel.Load(new MemoryStream(ModelBytes), "test.mlmodel").Pipeline
        ?? throw new InvalidOperationException("the written model is no pipeline");

    public static PipelineTestModel Create(string cfg, int? size, string folder, CoreMLWriterOptions? options = null, NmsOptions? nms = null, string? weights = null)
    {
        var cfgPath = size is { } s ? Fixtures.CfgAtSize(cfg, s, folder) : Fixtures.Shared(cfg);
        var weightsPath = weights ?? Fixtures.SeededWeightsFile(cfg);
        var (shaped, weighted) = DarknetReader.Read(TestFiles.Open(cfgPath), TestFiles.Open(weightsPath));
        using var stream = new MemoryStream();
        var result = new PipelineWriter(options, nms).Write(weighted, shaped, stream);
        return new PipelineTestModel(cfgPath, weightsPath, stream.ToArray(), result);
    }
}
