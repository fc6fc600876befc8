using System.Text.Json;
using Yolo4Convert.Cli;
using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;
using Yolo4Convert.Detection;
using Yolo4Convert.MetadataContract;
using Yolo4Convert.Numerics;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;
using Yolo4Convert.Weights;

/// <summary>
/// For precision.sh on a large model: one Darknet reference forward pass, then each weight format written to WORK,
/// loaded and run (float32 and half-precision emulation), with the same measures as `verify --precision fp16`
/// (worst head error relative to the head's largest magnitude; reference detections found with the same class,
/// score above threshold − 0.1 and IoU ≥ 0.5). Prints one JSON object per format.
/// </summary>
internal static class PrecisionRuns
{
    // precision-runs CFG WEIGHTS PIXELS(int32 C,H,W + float32, from tests/python/image_pixels.py) THRESHOLD WORK MODE...
    // MODE: fp32 | fp16 | linear8 | kmeans8 | kmeans6 | kmeans4 | mish-native-fp16 | mish-stable-fp16
    public static void Run(string[] args)
    {
        var (cfg, weights, pixelsFile, threshold, work) = (args[0], args[1], args[2], float.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), args[4]);
        var pixels = ReadTensor(pixelsFile);
        var (shaped, weighted) = DarknetReader.Read(InputFiles.Open(cfg), InputFiles.Open(weights), pixels.W, pixels.H);
        var reference = DarknetReference.Forward(weighted, shaped, new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]));
        Dictionary<string, Tensor>? first = null;
        foreach (var mode in args[5..])
        {
            var options = Options(mode);
            var path = Path.Combine(work, $"{Path.GetFileNameWithoutExtension(cfg)}-{mode}.mlmodel");
            CoreMLWriteResult result;
            using (var stream = File.Create(path))
            {
                result = new CoreMLWriter(options).Write(weighted, shaped, stream);
            }

            var runtime = CoreMLRuntime.Load(InputFiles.Open(path));
            var heads = HeadSpec.FromMetadata(runtime.Info);
            var layers = ModelMetadata.Read(runtime.Info).Heads.ToDictionary(h => h.OutputName, h => h.Layer!.Value);
            Tensor Ref(string name) => reference[layers[name]];
            var expected = DetectionAgreement.Detect(heads, Ref, runtime.Info.Width, runtime.Info.Height, threshold, 0.45f);
            var runs = new List<object>();
            foreach (var precision in mode.StartsWith("mish", StringComparison.Ordinal) ? [ComputePrecision.Fp16] : new[] { ComputePrecision.Fp32, ComputePrecision.Fp16 })
            {
                var outputs = runtime.Run(pixels, precision).ToDictionary();
                var errors = heads.Select(h => Error(outputs[h.OutputName], Ref(h.OutputName))).ToList();
                var found = DetectionAgreement.Compare(expected,
                    DetectionAgreement.Detect(heads, n => outputs[n], runtime.Info.Width, runtime.Info.Height, threshold - 0.1f, 0.45f), 0.5f);

                // Mish lowerings are also compared with each other directly, head by head.
                double? versusFirst = null;
                if (mode.StartsWith("mish", StringComparison.Ordinal))
                {
                    versusFirst = first is null ? 0 : heads.Max(h => Error(outputs[h.OutputName], first[h.OutputName]) * first[h.OutputName].MaxAbs() / Ref(h.OutputName).MaxAbs());
                    first ??= outputs;
                }

                runs.Add(new
                {
                    precision = precision == ComputePrecision.Fp16 ? "fp16" : "fp32",
                    heads = heads.Select((h, i) => new { name = h.OutputName, maxRelativeError = errors[i] }),
                    worstRelativeError = errors.Max(),
                    found = found.Found,
                    worstIou = found.WorstIou,
                    versusFirstMishLowering = versusFirst,
                });
            }

            Console.WriteLine(JsonSerializer.Serialize(new
            {
                mode,
                bytes = new FileInfo(path).Length,
                specificationVersion = result.SpecificationVersion,
                input = $"{pixels.W}x{pixels.H}",
                reference = expected.Count,
                threshold,
                runs,
            }));
            File.Delete(path);
        }
    }

    private static CoreMLWriterOptions Options(string mode) => mode switch
    {
        "fp32" => new CoreMLWriterOptions(),
        "fp16" => new CoreMLWriterOptions { Precision = WeightFormat.Fp16 },
        "mish-native-fp16" => new CoreMLWriterOptions { Precision = WeightFormat.Fp16, Mish = MishLowering.Native },
        "mish-stable-fp16" => new CoreMLWriterOptions { Precision = WeightFormat.Fp16, Mish = MishLowering.Stable },
        _ => new CoreMLWriterOptions { Quantization = WeightFormat.Parse(mode) },
    };

    // Largest |a − b| over the largest |b|.
    private static double Error(Tensor actual, Tensor expected)
    {
        double diff = 0;
        for (var i = 0; i < actual.Data.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)actual.Data[i] - expected.Data[i]));
        }

        return diff / Math.Max(expected.MaxAbs(), 1e-12);
    }

    private static Tensor ReadTensor(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        var shape = new Yolo4Convert.Graph.TensorShape(r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        var data = new float[shape.Count];
        r.ReadBytes(data.Length * 4).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return new Tensor(shape, data);
    }
}
