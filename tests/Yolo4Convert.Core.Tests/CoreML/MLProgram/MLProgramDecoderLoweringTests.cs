using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Detection;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Tests.CoreML.MLProgram;

/// <summary>
/// The ML Program decoder against the NeuralNetwork decoder: both pipelines of the same network, run by our two
/// runtimes, give the same decoded rows (same order, same math) and keep the same boxes.
/// </summary>
[Trait("Format", "CoreML")]
public sealed class MLProgramDecoderLoweringTests
{
    [Theory]
    [InlineData(Fixtures.RealModelCfg, null)]
    [InlineData("cfg/yolov2-tiny.cfg", 128)]
    [InlineData("cfg/yolov4-csp.cfg", 128)]
    public void Decoder_Fp32_RowsEqualTheNeuralNetworkDecoders(string cfg, int? size)
    {
        var folder = Fixtures.TempFolder();
        var weights = cfg == Fixtures.RealModelCfg ? Fixtures.Shared(Fixtures.RealModelWeights) : Fixtures.SeededWeightsFile(cfg);
        var options = new CoreMLWriterOptions { Precision = Yolo4Convert.Weights.WeightFormat.Fp32, Mish = MishLowering.Stable };
        var mlmodel = PipelineTestModel.Create(cfg, size, folder, options, weights: weights).Runtime();
        var shaped = Fixtures.Cfg(cfg, size);
        var package = LoadedModel.Load(TestFiles.OpenFolder(MLProgramPipelineWriterTests.WriteFolder(shaped, weights, options, folder))).Pipeline!;
        var pixels = Fixtures.SyntheticImage(3, mlmodel.Info.Height, mlmodel.Info.Width);

        var expected = mlmodel.Run(pixels);
        var actual = package.Run(pixels);

        foreach (var name in new[] { PipelineWriter.RawConfidenceName, PipelineWriter.RawCoordinatesName })
        {
            var (e, a) = (expected.Decoded[name].Data, actual.Decoded[name].Data);
            Assert.Equal(e.Length, a.Length);
            Assert.True(e.Any(v => v > 0.01f), $"{name}: nothing to compare");
        }

        var difference = DecodedRows.Compare(
            actual.Decoded[PipelineWriter.RawConfidenceName].Data, actual.Decoded[PipelineWriter.RawCoordinatesName].Data,
            expected.Decoded[PipelineWriter.RawConfidenceName].Data, expected.Decoded[PipelineWriter.RawCoordinatesName].Data);
        Assert.True(difference.Worst < 1e-5, $"{cfg}: the ML Program decoder's rows differ from the NeuralNetwork decoder's by {difference}");
        Assert.Equal(expected.Boxes.Coordinates.Data.Length, actual.Boxes.Coordinates.Data.Length);
    }
}
