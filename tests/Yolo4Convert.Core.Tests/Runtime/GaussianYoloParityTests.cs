using Xunit.Abstractions;
using Yolo4Convert.CoreML;
using Yolo4Convert.CoreML.Pipeline;
using Yolo4Convert.Keras;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Numerics;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;
using Yolo4Convert.Tests.CoreML.MLProgram;

namespace Yolo4Convert.Tests.Runtime;

/// <summary>
/// Gaussian YOLOv3 (cfg/Gaussian_yolov3_BDD.cfg, three [Gaussian_yolo] heads) at a small size on seeded weights:
/// the raw heads of the .mlmodel, the .mlpackage and the .h5 against the Darknet reference, and the --nms decoders
/// of both Core ML formats against get_gaussian_yolo_detections written out below from gaussian_yolo_layer.c.
/// </summary>
public sealed class GaussianYoloParityTests(ITestOutputHelper log)
{
    private const string Cfg = "cfg/Gaussian_yolov3_BDD.cfg";
    private const int Size = 128;

    private static CoreMLWriterOptions Fp32 => new() { Precision = Yolo4Convert.Weights.WeightFormat.Fp32, Mish = MishLowering.Stable };

    private static IReadOnlyDictionary<int, Tensor> Reference(TestModel model, Tensor pixels) =>
        DarknetReference.Forward(model.Weighted, model.Shaped, new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]));

    [Fact]
    public void RawHeads_MlmodelMlpackageAndH5_MatchTheDarknetReference()
    {
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(Cfg, Size, folder, Fp32);
        var pixels = Fixtures.SyntheticImage(3, Size, Size);
        var expected = Reference(model, pixels);
        var heads = model.Result.Heads;
        Assert.Equal(3, heads.Count);
        Assert.All(heads, h => Assert.Equal(3 * (10 + 9), h.Shape.C));

        // The .mlmodel, with the metadata that says how to decode it.
        var runtime = model.Runtime();
        var metadata = ModelMetadata.Read(runtime.Info);
        Assert.All(metadata.Heads, h => Assert.Equal("gaussian_yolo", h.KindName));
        Assert.Equal(ModelMetadata.GaussianEntries, runtime.Info.UserDefined[MetadataKeys.Head(heads[0].OutputName, MetadataKeys.Entries)]);
        var mlmodel = runtime.Run(pixels);
        foreach (var h in heads)
        {
            var error = Fixtures.RelativeError(mlmodel[h.OutputName], expected[h.Head.Layer]);
            log.WriteLine($".mlmodel {h.OutputName}: relative error {error:E2}");
            Assert.True(error <= 1e-5, $".mlmodel {h.OutputName}: relative error {error:E2}");
        }

        // The .mlpackage (fp32 program).
        var package = MLProgramWriterTests.WriteFolder(model.Shaped, model.WeightsPath, Fp32, folder);

        var program = LoadedModel.Load(TestFiles.OpenFolder(package)).Network!.Run(pixels);
        foreach (var h in heads)
        {
            var error = Fixtures.RelativeError(program[h.OutputName], expected[h.Head.Layer]);
            log.WriteLine($".mlpackage {h.OutputName}: relative error {error:E2}");
            Assert.True(error <= 1e-5, $".mlpackage {h.OutputName}: relative error {error:E2}");
        }

        // The .h5, evaluated by numpy (float64) from the file alone.
        var h5 = Path.Combine(folder, "model.h5");
        using (var stream = File.Create(h5))
        {
            new KerasH5Writer().Write(model.Weighted, model.Shaped, stream);
        }

        var input = Path.Combine(folder, "pixels.bin");
        var output = Path.Combine(folder, "keras-heads.bin");
        Fixtures.WriteTensor(pixels, input);
        Fixtures.Python(Fixtures.Repo("tests/python/keras_h5.py"), "run", h5, input, output);
        var keras = Fixtures.ReadTensors(output);
        Assert.Equal(heads.Count, keras.Count);
        for (var i = 0; i < heads.Count; i++)
        {
            var error = Fixtures.RelativeError(keras[i], expected[heads[i].Head.Layer]);
            log.WriteLine($".h5 head {i}: relative error {error:E2}");
            Assert.True(error <= 1e-5, $".h5 head {i}: relative error {error:E2}");
        }
    }

    [Fact]
    public void NmsDecoders_NeuralNetworkAndMLProgram_MatchGetGaussianYoloDetections()
    {
        var folder = Fixtures.TempFolder();
        var model = TestModel.Create(Cfg, Size, folder, Fp32);
        var pixels = Fixtures.SyntheticImage(3, Size, Size);
        var heads = model.Shaped.Network.Heads.Cast<Graph.GaussianYoloLayer>().ToList();
        var raw = Reference(model, pixels);

        // Darknet's rows: head by head, cell by cell, anchor by anchor (the decoders' order), with no threshold.
        var confidence = new List<float>();
        var coordinates = new List<float>();
        foreach (var head in heads)
        {
            var (c, b) = GaussianDetections(head, raw[head.Index], Size, Size);
            confidence.AddRange(c);
            coordinates.AddRange(b);
        }

        var nn = PipelineTestModel.Create(Cfg, Size, folder, Fp32).Runtime().Run(pixels).Decoded;
        var shaped = Fixtures.Cfg(Cfg, Size);
        var mil = LoadedModel.Load(TestFiles.OpenFolder(MLProgramPipelineWriterTests.WriteFolder(shaped, model.WeightsPath, Fp32, folder))).Pipeline!.Run(pixels).Decoded;
        Assert.True(confidence.Count(v => v > 0.01f) > 100, "too few scored candidates to compare");
        foreach (var (name, decoded) in new[] { ("NeuralNetwork", nn), ("ML Program", mil) })
        {
            var difference = Yolo4Convert.Detection.DecodedRows.Compare(
                decoded[PipelineWriter.RawConfidenceName].Data, decoded[PipelineWriter.RawCoordinatesName].Data, [.. confidence], [.. coordinates]);
            log.WriteLine($"{name} decoder: {difference}");
            Assert.True(difference.Worst < 1e-4, $"{name} decoder differs from get_gaussian_yolo_detections by {difference}");
        }
    }

    [Fact]
    public void NmsDecoders_WithScaleXY_ScaleTheXAndYUncertaintiesAsDarknet()
    {
        // scale_x_y ≠ 1: forward_gaussian_yolo_layer scales σx and σy with x and y, which changes every confidence.
        var folder = Fixtures.TempFolder();
        const string Text = "[net]\nwidth=64\nheight=64\nchannels=3\n"
            + "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=leaky\n"
            + "[local_avgpool]\nsize=2\nstride=2\n"
            + "[convolutional]\nfilters=22\nsize=1\nactivation=linear\n"
            + "[Gaussian_yolo]\nmask=0,1\nanchors=8,8, 16,24, 30,20\nnum=3\nclasses=2\nscale_x_y=1.1\n";
        var shaped = Yolo4Convert.Darknet.DarknetReader.ReadCfg(Text, "scaled.cfg");
        var weightsPath = Path.Combine(folder, "scaled.weights");
        SeededWeights.Write(shaped, weightsPath, seed: 4);
        var weighted = Yolo4Convert.Darknet.DarknetWeightsReader.Read(shaped, File.OpenRead(weightsPath), weightsPath);
        var pixels = Fixtures.SyntheticImage(3, 64, 64);
        var head = (Graph.GaussianYoloLayer)shaped.Network.Layers[3];
        var raw = DarknetReference.Forward(weighted, shaped, new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]))[head.Index];
        var (confidence, coordinates) = GaussianDetections(head, raw, 64, 64);
        Assert.True(confidence.Count(v => v > 0.05f) > 50, "too few scored candidates to compare");

        using var stream = new MemoryStream();
        new PipelineWriter(Fp32).Write(weighted, shaped, stream);
        var nn = LoadedModel.Load(new MemoryStream(stream.ToArray()), "scaled.mlmodel").Pipeline!.Run(pixels).Decoded;
        var mil = LoadedModel.Load(TestFiles.OpenFolder(MLProgramPipelineWriterTests.WriteFolder(shaped, weightsPath, Fp32, folder))).Pipeline!.Run(pixels).Decoded;
        foreach (var (name, decoded) in new[] { ("NeuralNetwork", nn), ("ML Program", mil) })
        {
            var difference = Yolo4Convert.Detection.DecodedRows.Compare(
                decoded[PipelineWriter.RawConfidenceName].Data, decoded[PipelineWriter.RawCoordinatesName].Data, confidence, coordinates);
            log.WriteLine($"{name} decoder: {difference}");
            Assert.True(difference.Worst < 1e-4, $"{name} decoder differs from get_gaussian_yolo_detections by {difference}");
        }
    }

    /// <summary>
    /// forward_gaussian_yolo_layer's activations and get_gaussian_yolo_detections (src/gaussian_yolo_layer.c) over the
    /// raw head as Darknet indexes it (entry_gaussian_index: anchor n, entry e, cell i at n·(9+K)·H·W + e·H·W + i),
    /// in double precision; returns, per candidate, the class probabilities (thresh = −∞) and the box x, y, w, h.
    /// </summary>
    internal static (float[] Confidence, float[] Boxes) GaussianDetections(Graph.GaussianYoloLayer l, Tensor input, int netW, int netH)
    {
        int w = input.W, h = input.H, n = l.Mask.Length, classes = l.Classes, plane = w * h;
        var output = input.Data.Select(v => (double)v).ToArray();
        static double Logistic(double v) => 1 / (1 + Math.Exp(-v));
        int Entry(int anchor, int entry, int i) => (anchor * (classes + 9) * plane) + (entry * plane) + i;
        for (var a = 0; a < n; a++)
        {
            for (var i = 0; i < plane; i++)
            {
                foreach (var e in new[] { 0, 1, 2, 3 })
                {
                    output[Entry(a, e, i)] = (Logistic(output[Entry(a, e, i)]) * l.ScaleXY) - (0.5 * (l.ScaleXY - 1));
                }

                foreach (var e in new[] { 5, 7 }.Concat(Enumerable.Range(8, 1 + classes)))
                {
                    output[Entry(a, e, i)] = Logistic(output[Entry(a, e, i)]);
                }
            }
        }

        var confidence = new float[plane * n * classes];
        var boxes = new float[plane * n * 4];
        for (var i = 0; i < plane; i++)
        {
            int row = i / w, col = i % w;
            for (var a = 0; a < n; a++)
            {
                var candidate = (i * n) + a;
                var objectness = output[Entry(a, 8, i)];
                var anchor = l.Mask[a];
                boxes[(candidate * 4) + 0] = (float)((col + output[Entry(a, 0, i)]) / w);
                boxes[(candidate * 4) + 1] = (float)((row + output[Entry(a, 2, i)]) / h);
                boxes[(candidate * 4) + 2] = (float)(Math.Exp(output[Entry(a, 4, i)]) * l.Anchors[2 * anchor] / netW);
                boxes[(candidate * 4) + 3] = (float)(Math.Exp(output[Entry(a, 6, i)]) * l.Anchors[(2 * anchor) + 1] / netH);
                var ucAver = (output[Entry(a, 1, i)] + output[Entry(a, 3, i)] + output[Entry(a, 5, i)] + output[Entry(a, 7, i)]) / 4.0;
                for (var j = 0; j < classes; j++)
                {
                    confidence[(candidate * classes) + j] = (float)(objectness * output[Entry(a, 9 + j, i)] * (1.0 - ucAver));
                }
            }
        }

        return (confidence, boxes);
    }
}
