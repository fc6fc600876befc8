using System.Diagnostics;
using System.Globalization;
using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;
using Yolo4Convert.Tests;

// Rerunnable speed benchmark. Usage:
//   dotnet run -c Release --project tests/Yolo4Convert.Benchmarks -- [SHARED_CFG_FOLDER] [WORK_FOLDER]
// Writes seeded weights for yolov4 and yolov4-tiny into WORK_FOLDER (once), then times conversion,
// the Core ML runtime and the Darknet reference. Peak memory of the CLI is measured by run.sh.
//   dotnet run -c Release --project tests/Yolo4Convert.Benchmarks -- seeded-weights CFG OUT.weights
// writes the seeded weights the tests use for CFG (what precision.sh converts).
if (args is ["seeded-weights", var seededCfg, var seededOut])
{
    SeededWeights.Write(DarknetReader.ReadCfg(File.ReadAllText(seededCfg), seededCfg), seededOut);
    return 0;
}

if (args is ["precision-runs", ..])
{
    PrecisionRuns.Run(args[1..]);
    return 0;
}

if (args.Length > 0 && args[0] == "fuzz")
{
    return Yolo4Convert.Benchmarks.Fuzz.Run(args[1..]);
}

var cfgFolder = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "cfg");
var work = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "yolo4convert-bench");
Directory.CreateDirectory(work);
Console.WriteLine($"cores: {Environment.ProcessorCount}, work folder: {work}");

foreach (var (name, size) in new[] { ("yolov4", 608), ("yolov4-tiny", 416) })
{
    var cfg = Path.Combine(cfgFolder, name + ".cfg");
    var weights = Path.Combine(work, name + ".weights");
    var shaped = DarknetReader.ReadCfg(File.ReadAllText(cfg), cfg, size, size);
    if (!File.Exists(weights) || new FileInfo(weights).Length != DarknetWeightsReader.ExpectedSize(shaped))
    {
        SeededWeights.Write(shaped, weights);
    }

    var watch = Stopwatch.StartNew();
    var (_, weighted) = DarknetReader.Read(cfg, weights, size, size);
    var read = watch.Elapsed.TotalSeconds;
    var model = Path.Combine(work, name + ".mlmodel");
    watch.Restart();
    using (var stream = File.Create(model))
    {
        new CoreMLWriter().Write(weighted, shaped, stream);
    }

    var write = watch.Elapsed.TotalSeconds;
    var runtime = CoreMLRuntime.Load(model);
    var pixels = new Tensor(new TensorShape(3, size, size));
    var random = new Random(3);
    for (var i = 0; i < pixels.Data.Length; i++)
    {
        pixels.Data[i] = random.Next(256);
    }

    runtime.Run(pixels); // warm-up
    var runs = new List<double>();
    for (var i = 0; i < 3; i++)
    {
        watch.Restart();
        runtime.Run(pixels);
        runs.Add(watch.Elapsed.TotalSeconds);
    }

    watch.Restart();
    DarknetReference.Forward(weighted, shaped, new Tensor(pixels.Shape, [.. pixels.Data.Select(v => v / 255f)]));
    var reference = watch.Elapsed.TotalSeconds;
    var bflops = shaped.Network.Layers.Sum(shaped.BFlops);
    string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
    Console.WriteLine($"{name} {size}x{size}: read {F(read)} s, write .mlmodel {F(write)} s, runtime best {F(runs.Min())} s " +
        $"(median {F(runs.Order().ElementAt(1))} s, {F(bflops / runs.Min())} GFLOPS), Darknet reference {F(reference)} s, {F(bflops)} BFLOPs");
}

return 0;
