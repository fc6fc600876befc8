using System.Diagnostics;
using System.Globalization;
using Yolo4Convert.Darknet;
using Yolo4Convert.Graph;
using Yolo4Convert.Numerics;
using Yolo4Convert.Passes;

namespace Yolo4Convert.Tests;

/// <summary>Paths of shared inputs and helpers that make test data. Missing references fail loudly.</summary>
public static class Fixtures
{
    /// <summary>Every cfg of the model zoo with the exact size of its published .weights (see tests/data/README.md).</summary>
    public static readonly IReadOnlyDictionary<string, long> KnownWeightSizes = new Dictionary<string, long>
    {
        ["cfg/enet-coco.cfg"] = 19_233_100,
        ["cfg/yolov2-tiny.cfg"] = 44_948_600,
        ["cfg/yolov2.cfg"] = 203_934_264,
        ["cfg/yolov3-spp.cfg"] = 252_209_544,
        ["cfg/yolov3-tiny.cfg"] = 35_434_956,
        ["cfg/yolov3.cfg"] = 248_007_048,
        ["cfg/yolov4-csp.cfg"] = 211_944_840,
        ["cfg/yolov4-tiny-3l.cfg"] = 25_336_200,
        ["cfg/yolov4-tiny.cfg"] = 24_251_276,
        ["cfg/yolov4.cfg"] = 257_717_640,
        ["cfg/yolov4x-mish.cfg"] = 399_388_168,
        ["cfg/yolov7-tiny.cfg"] = 24_967_560,
        ["models/yolo-fastest-1.1.cfg"] = 1_384_268,
    };

    public const string RealModelCfg = "models/yolo-fastest-1.1.cfg";
    public const string RealModelWeights = "models/yolo-fastest-1.1.weights";
    public const string DogImage = "images/dog.jpg";

    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Yolo4Convert.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Yolo4Convert.sln) above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>A file under tests/data (the vendored zoo cfgs, the real model, the photos); a missing one fails the test.</summary>
    public static string Shared(string relative)
    {
        var path = Path.GetFullPath(Path.Combine(RepoRoot, "tests", "data", relative));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"test input missing: {path}. tests/data is part of the repository; restore it with 'git checkout -- tests/data'.");
        }

        return path;
    }

    /// <summary>A file in this repository.</summary>
    public static string Repo(string relative) => Path.Combine(RepoRoot, relative);

    /// <summary>Reads a shared cfg, optionally at another input size.</summary>
    public static ShapedNetwork Cfg(string relative, int? size = null) =>
        DarknetReader.ReadCfg(File.ReadAllText(Shared(relative)), Shared(relative), size, size);

    /// <summary>Writes a cfg's text with [net] width/height replaced (for tools that read the cfg themselves).</summary>
    public static string CfgAtSize(string relative, int size, string folder)
    {
        var lines = File.ReadAllLines(Shared(relative));
        var inNet = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Replace(" ", string.Empty, StringComparison.Ordinal);
            if (t.StartsWith('['))
            {
                inNet = t is "[net]" or "[network]";
            }
            else if (inNet && (t.StartsWith("width=", StringComparison.Ordinal) || t.StartsWith("height=", StringComparison.Ordinal)))
            {
                lines[i] = t[..t.IndexOf('=')] + "=" + size.ToString(CultureInfo.InvariantCulture);
            }
        }

        var path = Path.Combine(folder, Path.GetFileName(relative));
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Where every test run keeps its files: the system's temporary folder (the README's test command points it into the clone).</summary>
    public static string RunsParent => Path.Combine(Path.GetTempPath(), "yolo4convert-tests");

    // One folder per test process, named after its PID and removed when the process exits (the zoo's seeded
    // weights run to gigabytes). A test host that is stopped before its exit handlers finish leaves its folder
    // behind; the next run removes every folder whose process is gone.
    private static readonly Lazy<string> RunFolder = new(() =>
    {
        RemoveStaleRuns(RunsParent);
        var path = Path.Combine(RunsParent, $"run-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a file still open is removed by the next run.
            }
        };
        return path;
    });

    /// <summary>Removes the run folders under <paramref name="parent"/> whose test process no longer exists; returns their names.</summary>
    public static IReadOnlyList<string> RemoveStaleRuns(string parent)
    {
        var removed = new List<string>();
        if (!Directory.Exists(parent))
        {
            return removed;
        }

        foreach (var folder in new DirectoryInfo(parent).GetDirectories("run-*"))
        {
            var parts = folder.Name.Split('-');
            if (parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !ProcessExists(pid))
            {
                try
                {
                    folder.Delete(recursive: true);
                    removed.Add(folder.Name);
                }
                catch (IOException)
                {
                    // Another run is removing it at the same time.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        return removed;
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>A fresh temporary folder, deleted with the rest of the run's files when the tests end.</summary>
    public static string TempFolder()
    {
        var path = Path.Combine(RunFolder.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> WeightFiles = new();

    /// <summary>
    /// A seeded .weights file for a shared cfg, made once per run and shared by every test that asks for it
    /// (the layout does not depend on the input size).
    /// </summary>
    public static string SeededWeightsFile(string cfgRelative, int seed = 1) =>
        WeightFiles.GetOrAdd($"{cfgRelative}#{seed}", _ => new Lazy<string>(() =>
        {
            var folder = Path.Combine(RunFolder.Value, "weights");
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(cfgRelative)}-{seed}.weights");
            SeededWeights.Write(Cfg(cfgRelative), path, seed);
            return path;
        })).Value;

    /// <summary>A deterministic pseudo-image: smooth patterns plus noise, values 0..255, CHW.</summary>
    public static Tensor SyntheticImage(int channels, int height, int width, int seed = 7)
    {
        var random = new Random(seed);
        var t = new Tensor(new TensorShape(channels, height, width));
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var v = 127.5 + (80 * Math.Sin((x * (0.07 + (0.03 * c))) + (y * 0.05))) + (40 * (random.NextDouble() - 0.5));
                    t.Data[(((c * height) + y) * width) + x] = (float)Math.Clamp(Math.Round(v), 0, 255);
                }
            }
        }

        return t;
    }

    /// <summary>Writes a tensor as int32 C, H, W then float32 values (the python helpers' format).</summary>
    public static void WriteTensor(Tensor t, string path)
    {
        using var w = new BinaryWriter(File.Create(path));
        w.Write(t.C);
        w.Write(t.H);
        w.Write(t.W);
        foreach (var v in t.Data)
        {
            w.Write(v);
        }
    }

    /// <summary>Reads the head tensors the python helpers write: int32 count, then tensors.</summary>
    public static List<Tensor> ReadTensors(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        return [.. Enumerable.Range(0, r.ReadInt32()).Select(_ => ReadTensor(r))];
    }

    /// <summary>Reads one tensor file in the int32 C, H, W + float32 format.</summary>
    public static Tensor ReadTensor(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        return ReadTensor(r);
    }

    private static Tensor ReadTensor(BinaryReader r)
    {
        var shape = new TensorShape(r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        var data = new float[shape.Count];
        r.ReadBytes(data.Length * 4).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        return new Tensor(shape, data);
    }

    /// <summary>Runs Debian's python3 (the one with python3-opencv and h5py); fails when it is missing.</summary>
    public static string Python(params string[] args)
    {
        const string Interpreter = "/usr/bin/python3";
        if (!File.Exists(Interpreter))
        {
            throw new InvalidOperationException($"{Interpreter} is missing; install python3-opencv and python3-h5py (see .ci/run).");
        }

        var info = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"python3 {string.Join(" ", args)} failed ({process.ExitCode}): {stderr}");
        }

        return stdout.Result;
    }

    /// <summary>Raw heads of OpenCV's Darknet importer for a cfg + weights on the given pixels.</summary>
    public static List<Tensor> OpenCvHeads(string cfg, string weights, Tensor pixels, string folder)
    {
        var input = Path.Combine(folder, "input.bin");
        var output = Path.Combine(folder, "heads.bin");
        WriteTensor(pixels, input);
        Python(Repo("tests/python/opencv_heads.py"), cfg, weights, input, output);
        return ReadTensors(output);
    }

    /// <summary>Largest |a−b| divided by the largest |b|.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double diff = 0;
        for (var i = 0; i < actual.Data.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(actual.Data[i] - expected.Data[i]));
        }

        return diff / Math.Max(expected.MaxAbs(), 1e-12);
    }
}
