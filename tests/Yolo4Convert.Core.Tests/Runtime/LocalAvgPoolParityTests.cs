using Xunit.Abstractions;
using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
using Yolo4Convert.Keras;
using Yolo4Convert.Numerics;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;
using Yolo4Convert.Tests.CoreML.MLProgram;

namespace Yolo4Convert.Tests.Runtime;

/// <summary>
/// [local_avgpool] (cfg/local-avgpool-test.cfg: padded on both sides, at the end only, not at all, and with different
/// strides across and down): the .mlmodel, the .mlpackage and the .h5 against the Darknet reference, and the
/// reference itself against forward_local_avgpool_layer written out here. OpenCV's Darknet importer (4.6) refuses
/// the section ("Unknown layer type: local_avgpool"), so it cannot be a third opinion.
/// </summary>
public sealed class LocalAvgPoolParityTests(ITestOutputHelper log)
{
    private const string Cfg = "cfg/local-avgpool-test.cfg";

    private static CoreMLWriterOptions Fp32 => new() { Precision = Yolo4Convert.Weights.WeightFormat.Fp32, Mish = MishLowering.Stable };

    [Fact]
    public void Convert_MlmodelMlpackageAndH5_MatchTheDarknetReference()
    {
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(Cfg, null, folder, Fp32);
        Assert.Equal(4, model.Shaped.Network.Layers.OfType<LocalAvgPoolLayer>().Count());
        var pixels = Fixtures.SyntheticImage(3, 64, 64);
        var expected = DarknetReference.Forward(model.Weighted, model.Shaped, new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]));
        var head = model.Result.Heads.Single();

        var mlmodel = model.Runtime().Run(pixels)[head.OutputName];
        var package = MLProgramWriterTests.WriteFolder(model.Shaped, model.WeightsPath, Fp32, folder);

        var program = LoadedModel.Load(TestFiles.OpenFolder(package)).Network!.Run(pixels)[head.OutputName];

        var h5 = Path.Combine(folder, "model.h5");
        using (var stream = File.Create(h5))
        {
            new KerasH5Writer().Write(model.Weighted, model.Shaped, stream);
        }

        var input = Path.Combine(folder, "pixels.bin");
        var output = Path.Combine(folder, "keras-heads.bin");
        Fixtures.WriteTensor(pixels, input);
        Fixtures.Python(Fixtures.Repo("tests/python/keras_h5.py"), "run", h5, input, output);
        var keras = Fixtures.ReadTensors(output).Single();

        foreach (var (format, actual) in new[] { (".mlmodel", mlmodel), (".mlpackage", program), (".h5", keras) })
        {
            var error = Fixtures.RelativeError(actual, expected[head.Head.Layer]);
            log.WriteLine($"{format}: relative error {error:E2}");
            Assert.True(error <= 1e-5, $"{format}: relative error {error:E2}");
        }
    }

    [Theory]
    [InlineData(3, 1, 1, null)] // padding 2: one cell each side
    [InlineData(2, 1, 1, null)] // padding 1: the end only
    [InlineData(2, 2, 2, null)] // padding 1 that the output size does not reach
    [InlineData(3, 2, 1, 1)] // a cell of padding, split 0/1
    [InlineData(4, 3, 2, 5)]
    public void Reference_IsForwardLocalAvgpoolLayer(int size, int strideX, int strideY, int? padding)
    {
        var text = $"[net]\nwidth=7\nheight=6\nchannels=2\n[local_avgpool]\nsize={size}\nstride_x={strideX}\nstride_y={strideY}\n"
            + (padding is { } p ? $"padding={p}\n" : string.Empty)
            + "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n[yolo]\nmask=0\nanchors=1,1\nnum=1\nclasses=1\n";
        var shaped = DarknetReader.ReadCfg(text, "avg.cfg");
        var pool = (LocalAvgPoolLayer)shaped.Network.Layers[0];
        var x = Fixtures.SyntheticImage(2, 6, 7);
        // The head reads a 1x1 convolution of the pooled map whose first two filters copy its two channels.
        var kernel = new float[12];
        kernel[0] = kernel[3] = 1f;
        var weighted = new WeightedNetwork(shaped.Network, [null, new ConvWeights(new float[6], null, kernel), null], new WeightsHeader(0, 2, 0, 0, 8));

        var ours = DarknetReference.Forward(weighted, shaped, x)[2];
        var padAll = pool.Padding;
        var outH = ((6 + padAll - size) / strideY) + 1;
        var outW = ((7 + padAll - size) / strideX) + 1;
        Assert.Equal((6, outH, outW), (ours.C, ours.H, ours.W));
        for (var k = 0; k < 2; k++)
        {
            for (var i = 0; i < outH; i++)
            {
                for (var j = 0; j < outW; j++)
                {
                    // forward_local_avgpool_layer, src/maxpool_layer.c, as written there.
                    float avg = 0;
                    var counter = 0;
                    for (var n = 0; n < size; n++)
                    {
                        for (var m = 0; m < size; m++)
                        {
                            var curH = (-padAll / 2) + (i * strideY) + n;
                            var curW = (-padAll / 2) + (j * strideX) + m;
                            if (curH >= 0 && curH < 6 && curW >= 0 && curW < 7)
                            {
                                counter++;
                                avg += x.Data[(((k * 6) + curH) * 7) + curW];
                            }
                        }
                    }

                    Assert.Equal(avg / counter, ours.Data[(((k * outH) + i) * outW) + j]);
                }
            }
        }
    }

    [Fact]
    public void Keras_PaddingThatSameDoesNotSplitAlike_IsRefusedWhileCoreMLConverts()
    {
        // size 3, stride 2 on 32 cells: Darknet pads one cell at the start, TensorFlow's "same" one at the end.
        var text = "[net]\nwidth=32\nheight=32\nchannels=3\n[local_avgpool]\nsize=3\nstride=2\n[convolutional]\nfilters=6\nsize=1\nactivation=linear\n[yolo]\nmask=0\nanchors=4,4\nnum=1\nclasses=1\n";
        var shaped = DarknetReader.ReadCfg(text, "odd.cfg");
        Assert.Equal(new Yolo4Convert.Ir.AvgPool2d(3, 2, 2, new Yolo4Convert.Ir.Pads(1, 0, 1, 0)), Yolo4Convert.Ir.DarknetLowering.Lower(shaped).Nodes[0].Op);
        var weights = new WeightedNetwork(shaped.Network, [null, new ConvWeights(new float[6], null, new float[18]), null], new WeightsHeader(0, 2, 0, 0, 8));

        var ex = Assert.Throws<Yolo4Convert.Diagnostics.UnsupportedFeatureException>(() => new KerasH5Writer().Write(weights, shaped, new MemoryStream()));
        Assert.Contains("layer 0 [local_avgpool] uses average pooling padding (1,0)x(1,0) that TensorFlow's \"same\" does not produce", ex.Message);

        using var stream = new MemoryStream();
        new CoreMLWriter(Fp32).Write(weights, shaped, stream);
        Assert.True(stream.Length > 0);
    }
}
