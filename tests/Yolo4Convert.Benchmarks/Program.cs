using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Yolo4Convert.Cli;
using Yolo4Convert.CoreML;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Reference;
using Yolo4Convert.Runtime;
using Yolo4Convert.Tests;

// Benchmark helper, driven by run.sh. Modes:
//   weights CFG SIZE OUT.weights [--widen FACTOR OUT.cfg]
//       writes seeded weights of the exact size the cfg needs (once; an existing file of the right size is kept).
//       With --widen, first writes OUT.cfg: the cfg with every convolution's filters multiplied by FACTOR (rounded to
//       an even number; the convolutions right before a detection head keep theirs), e.g. 1.4142 for ~2x the weights.
//   runtime CFG WEIGHTS SIZE
//       times in-process: reading, the .mlmodel writer, the Core ML runtime (best and median of 3 after a warm-up)
//       and the Darknet reference.
//   run MODEL [RUNS] | gemm          the runtime alone; the matrix product's rate
//   keras CFG WEIGHTS OUT.h5         the Keras writer alone (CPU and wall), after reading the weights
//   keras-export CFG WEIGHTS OUT.h5 [--phases] [--repeat N]
//                                    the Keras export as the CLI runs it: cfg read, weights file opened (header and
//                                    size checked, layers read on demand while writing), .h5 written; once, to be
//                                    timed from outside (GNU time); --phases prints where the time goes
//   fuzz ...                         the seeded structure-aware fuzz driver (see Fuzz.cs)
//   seeded-weights CFG OUT.weights   the seeded weights the tests use for CFG (what precision.sh converts)
//   precision-runs ...               see PrecisionRuns.cs
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

return args.FirstOrDefault() switch
{
    "fuzz" => Yolo4Convert.Benchmarks.Fuzz.Run(args[1..]),
    "weights" => Weights(args),
    "runtime" => Runtime(args),
    "run" => RunOnly(args),
    "gemm" => GemmRate(),
    "keras" => KerasTime(args),
    "keras-export" => KerasExport(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: weights CFG SIZE OUT.weights [--widen FACTOR OUT.cfg] | runtime CFG WEIGHTS SIZE | run MODEL [RUNS] | gemm | keras CFG WEIGHTS OUT.h5 | fuzz ...");
    return 1;
}

static int Weights(string[] args)
{
    var cfg = args[1];
    var size = int.Parse(args[2], CultureInfo.InvariantCulture);
    var weights = args[3];
    if (args.Length > 6 && args[4] == "--widen")
    {
        var widened = Widen(File.ReadAllText(cfg), double.Parse(args[5], CultureInfo.InvariantCulture));
        if (!File.Exists(args[6]) || File.ReadAllText(args[6]) != widened)
        {
            File.WriteAllText(args[6], widened);
        }

        cfg = args[6];
    }

    var shaped = DarknetReader.ReadCfg(File.ReadAllText(cfg), cfg, size, size);
    if (!File.Exists(weights) || new FileInfo(weights).Length != DarknetWeightsReader.ExpectedSize(shaped))
    {
        SeededWeights.Write(shaped, weights);
    }

    Console.WriteLine($"{weights}: {new FileInfo(weights).Length:N0} bytes");
    return 0;
}

// Multiplies filters= of every [convolutional] section except those followed by a [yolo]/[region] section.
static string Widen(string cfg, double factor)
{
    var sections = Regex.Split(cfg, @"(?m)^(?=[ \t]*\[)");
    for (var i = 0; i < sections.Length; i++)
    {
        var next = i + 1 < sections.Length ? sections[i + 1].TrimStart() : string.Empty;
        if (!sections[i].TrimStart().StartsWith("[conv", StringComparison.Ordinal) || next.StartsWith("[yolo]", StringComparison.Ordinal) || next.StartsWith("[region]", StringComparison.Ordinal))
        {
            continue;
        }

        sections[i] = Regex.Replace(sections[i], @"(?m)^(\s*filters\s*=\s*)(\d+)", m =>
            m.Groups[1].Value + (2 * (int)Math.Round(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) * factor / 2)).ToString(CultureInfo.InvariantCulture));
    }

    return string.Concat(sections);
}

// run MODEL [RUNS]: load time and per-run times of the Core ML runtime alone, on a seeded random image.
static int RunOnly(string[] args)
{
    var watch = Stopwatch.StartNew();
    var runtime = CoreMLRuntime.Load(InputFiles.Open(args[1]));
    using var self = Process.GetCurrentProcess();
    Console.WriteLine($"load {watch.Elapsed.TotalSeconds:0.00} s, managed {GC.GetTotalMemory(false) >> 20} MiB, peak working set {self.PeakWorkingSet64 >> 20} MiB");
    var pixels = new Tensor(new TensorShape(3, runtime.Info.Height, runtime.Info.Width));
    var random = new Random(3);
    for (var i = 0; i < pixels.Data.Length; i++)
    {
        pixels.Data[i] = random.Next(256);
    }

    for (var i = 0; i < (args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3); i++)
    {
        watch.Restart();
        runtime.Run(pixels);
        self.Refresh();
        var info = GC.GetGCMemoryInfo();
        Console.WriteLine($"run {watch.Elapsed.TotalSeconds:0.00} s, managed {GC.GetTotalMemory(false) >> 20} MiB, committed {info.TotalCommittedBytes >> 20} MiB, peak working set {self.PeakWorkingSet64 >> 20} MiB, gen0/1/2 GCs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
    }

    return 0;
}

// gemm: GFLOP per CPU-second of the matrix product on a yolov4-like 3x3 layer (M=256, K=2304, N=76·76),
// so the rate can be set beside another library's (e.g. numpy's BLAS) measured the same way on a busy machine.
static int GemmRate()
{
    const int m = 256, k = 2304, n = 5776;
    var random = new Random(1);
    var a = Enumerable.Range(0, m * k).Select(_ => random.NextSingle()).ToArray();
    var b = Enumerable.Range(0, k * n).Select(_ => random.NextSingle()).ToArray();
    var c = new float[m * n];
    var packed = PackedMatrix.Pack(a, m, k);
    Gemm.Multiply(packed, n, b, c);
    using var self = Process.GetCurrentProcess();
    var cpu = self.TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    const int reps = 10;
    for (var i = 0; i < reps; i++)
    {
        Gemm.Multiply(packed, n, b, c);
    }

    self.Refresh();
    var flops = 2.0 * m * n * k * reps / 1e9;
    Console.WriteLine($"ours: {flops / (self.TotalProcessorTime - cpu).TotalSeconds:0.0} GFLOP per CPU-second, {flops / watch.Elapsed.TotalSeconds:0.0} GFLOPS wall");
    return 0;
}

// keras CFG WEIGHTS OUT.h5: the Keras writer alone, in-process (CPU and wall), after reading the weights.
static int KerasTime(string[] args)
{
    var (shaped, weighted) = DarknetReader.Read(InputFiles.Open(args[1]), InputFiles.Open(args[2]));
    for (var i = 0; i < 3; i++)
    {
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        using (var stream = new FileStream(args[3], FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20))
        {
            new Yolo4Convert.Keras.KerasH5Writer().Write(weighted, shaped, stream);
        }

        self.Refresh();
        Console.WriteLine($"Keras write: {watch.Elapsed.TotalSeconds:0.00} s wall, {(self.TotalProcessorTime - cpu).TotalSeconds:0.00} s CPU");
    }

    return 0;
}

// keras-export CFG WEIGHTS OUT.h5 [--phases] [--repeat N]: one streamed export from the weights file, as a user runs
// it; --repeat runs it N times in the process, to tell the steady state from the start-up (JIT).
static int KerasExport(string[] args)
{
    var repeat = args.Contains("--repeat") ? int.Parse(args[Array.IndexOf(args, "--repeat") + 1], CultureInfo.InvariantCulture) : 1;
    for (var run = 0; run < repeat; run++)
    {
        var watch = Stopwatch.StartNew();
        var shaped = DarknetReader.ReadCfg(DarknetReader.ReadCfgText(InputFiles.Open(args[1])), args[1], warnings: new WarningLog());
        var cfg = watch.Elapsed.TotalSeconds;
        using (var weights = DarknetWeightsFile.Open(shaped, InputFiles.Open(args[2]), new WarningLog()))
        using (var output = new FileStream(args[3], FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20))
        {
            new Yolo4Convert.Keras.KerasH5Writer().Write(shaped, weights, output);
        }

        if (args.Contains("--phases"))
        {
            using var self = Process.GetCurrentProcess();
            Console.WriteLine($"cfg {cfg:0.000} s, export {watch.Elapsed.TotalSeconds - cfg:0.000} s; process CPU {self.TotalProcessorTime.TotalSeconds:0.000} s, peak working set {self.PeakWorkingSet64 >> 20} MiB");
        }
    }

    return 0;
}

static int Runtime(string[] args)
{
    var (cfg, weights, size) = (args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
    var watch = Stopwatch.StartNew();
    var (shaped, weighted) = DarknetReader.Read(InputFiles.Open(cfg), InputFiles.Open(weights), size, size);
    var read = watch.Elapsed.TotalSeconds;
    var model = Path.ChangeExtension(weights, $".{size}.mlmodel");
    watch.Restart();
    using (var stream = File.Create(model))
    {
        new CoreMLWriter().Write(weighted, shaped, stream);
    }

    var write = watch.Elapsed.TotalSeconds;
    var runtime = CoreMLRuntime.Load(InputFiles.Open(model));
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
    Console.WriteLine($"{Path.GetFileNameWithoutExtension(cfg)} {size}x{size} in-process: read {F(read)} s, write .mlmodel {F(write)} s, runtime best {F(runs.Min())} s " +
        $"(median {F(runs.Order().ElementAt(1))} s, {F(bflops / runs.Min())} GFLOPS), Darknet reference {F(reference)} s, {F(bflops)} BFLOPs");
    return 0;
}
