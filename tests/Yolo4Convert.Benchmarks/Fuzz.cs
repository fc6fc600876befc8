using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Yolo4Convert.Benchmarks;

/// <summary>
/// Seeded fuzzing of the CLI, in-process and one run at a time: mutated cfgs through `inspect`, damaged .mlmodel
/// files through `detect`. A run fails when it exits 5, prints a stack trace, outlives the timeout or raises the
/// process' peak RSS above the limit: VmHWM is reset before each run through /proc/self/clear_refs, and a run is
/// charged its growth over the resident set it started with, plus the process' first baseline.
/// Usage: fuzz SHARED_FOLDER WORK_FOLDER [--seed N] [--cfg-runs N] [--model-runs N] [--timeout S] [--rss-mb N]
/// Prints one JSON summary on stdout; exits 0 when no run failed.
/// </summary>
internal static partial class Fuzz
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly string[] Numbers =
    [
        "0", "-1", "1", "2", "3", "7", "-0", "2147483647", "-2147483648", "2147483648", "99999999999999999999", "4096", "4097",
        "16384", "16385", "65536", "65537", "100000", "1e39", "-1e39", "nan", "inf", "abc", "0.5", "1,2,3", "-1,-1000", "999,0",
        "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0", "1#c", "\u0001\u0002", "x\ty",
    ];

    private static readonly string[] Texts =
    [
        "", "a", "abc", "-1", "0", "1e999", "NaN", "1,2", "[\"a\"", "[1,2]", "[]", ",,,", "yolo", "region", "head_s8", "999999999999",
        "\u0000\u0001", new string('x', 5000),
    ];

    private static readonly ulong[] Varints =
    [
        0, 1, 2, 3, 4, 5, 7, 8, 255, 4096, 4097, 65535, 65536, 1UL << 31, (1UL << 31) - 1, 1UL << 32, 1UL << 40, 1UL << 63, ulong.MaxValue, 1000, 100000,
    ];

    public static int Run(string[] args)
    {
        var shared = args[0];
        var work = args[1];
        int Option(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }

        var seed = Option("--seed", 1);
        var cfgRuns = Option("--cfg-runs", 300);
        var modelRuns = Option("--model-runs", 300);
        var timeout = TimeSpan.FromSeconds(Option("--timeout", 30));
        var rssLimit = Option("--rss-mb", 1024) * 1024L * 1024L;
        Directory.CreateDirectory(work);
        var failures = new List<object>();
        var counts = new Dictionary<string, SortedDictionary<int, int>> { ["inspect"] = [], ["detect"] = [] };
        long worstRss = 0;
        double worstSeconds = 0;
        var watch = Stopwatch.StartNew();

        void Check(string command, string file, int index, string[] cliArgs)
        {
            var (exit, stderr, seconds, rss, hung) = RunOne(cliArgs, timeout);
            counts[command][exit] = counts[command].GetValueOrDefault(exit) + 1;
            worstRss = Math.Max(worstRss, rss);
            worstSeconds = Math.Max(worstSeconds, seconds);
            var reason = hung ? $"no result after {timeout.TotalSeconds} s"
                : exit == 5 ? "exit 5"
                : exit is < 0 or > 6 ? $"exit {exit}"
                : StackTrace().IsMatch(stderr) ? "stack trace on stderr"
                : rss > rssLimit ? $"peak RSS {rss >> 20} MB"
                : null;
            if (reason is not null)
            {
                var kept = Path.Combine(work, "failures", $"{command}-{seed}-{index}{Path.GetExtension(file)}");
                Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
                File.Copy(file, kept, overwrite: true);
                failures.Add(new { command, index, reason, exit, seconds = Math.Round(seconds, 2), rssMb = rss >> 20, input = kept, stderr = stderr.Length > 300 ? stderr[..300] : stderr });
            }

            if (hung)
            {
                Summary();
                Environment.Exit(2); // the runaway run cannot be stopped in-process
            }
        }

        void Summary() => Console.WriteLine(JsonSerializer.Serialize(new
        {
            seed,
            cfgRuns,
            modelRuns,
            exitCodes = counts.ToDictionary(c => c.Key, c => c.Value.ToDictionary(e => e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value)),
            worstPeakRssMb = worstRss >> 20,
            worstSeconds = Math.Round(worstSeconds, 2),
            totalSeconds = Math.Round(watch.Elapsed.TotalSeconds, 1),
            failures,
        }, Indented));

        // Mutated cfgs through inspect.
        var cfgs = Directory.GetFiles(Path.Combine(shared, "cfg"), "*.cfg").Order(StringComparer.Ordinal)
            .Concat(Directory.GetFiles(Path.Combine(shared, "models"), "*.cfg").Order(StringComparer.Ordinal)).Select(File.ReadAllText).ToList();
        for (var i = 0; i < cfgRuns; i++)
        {
            var random = new Random(HashCode.Combine(seed, 1, i) & int.MaxValue);
            var text = MutateCfg(cfgs[random.Next(cfgs.Count)], random);
            var path = Path.Combine(work, "case.cfg");
            File.WriteAllText(path, text);
            Check("inspect", path, i, ["inspect", path]);
        }

        // Damaged models through detect.
        var image = Path.Combine(shared, "images", "dog.jpg");
        var bases = new List<byte[]>();
        foreach (var mish in new[] { "custom", "native" })
        {
            var model = Path.Combine(work, $"base-{mish}.mlmodel");
            var (exit, stderr, _, _, _) = RunOne([Path.Combine(shared, "models", "yolo-fastest-1.1.cfg"), Path.Combine(shared, "models", "yolo-fastest-1.1.weights"), model, "--mish", mish, "--size", "128x128"], timeout);
            if (exit != 0)
            {
                Console.Error.WriteLine($"cannot make the base model: {stderr}");
                return 3;
            }

            bases.Add(File.ReadAllBytes(model));
        }

        bases.Add(ConvertDemo(work, timeout));
        for (var i = 0; i < modelRuns; i++)
        {
            var random = new Random(HashCode.Combine(seed, 2, i) & int.MaxValue);
            var bytes = MutateModel(bases[random.Next(bases.Count)], random);
            var path = Path.Combine(work, "case.mlmodel");
            File.WriteAllBytes(path, bytes);
            Check("detect", path, i, ["detect", path, image]);
        }

        Summary();
        return failures.Count == 0 ? 0 : 1;
    }

    private static byte[] ConvertDemo(string work, TimeSpan timeout)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Yolo4Convert.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var model = Path.Combine(work, "base-demo.mlmodel");
        var (exit, stderr, _, _, _) = RunOne([Path.Combine(root, "samples", "demo.cfg"), Path.Combine(root, "samples", "demo.weights"), model, "--mish", "native"], timeout);
        return exit == 0 ? File.ReadAllBytes(model) : throw new InvalidOperationException(stderr);
    }

    private static (int Exit, string Stderr, double Seconds, long PeakRss, bool Hung) RunOne(string[] args, TimeSpan timeout)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var reset = ResetPeak();
        var before = Status("VmRSS:");
        Baseline ??= before;
        var output = new StringWriter();
        var error = new StringWriter();
        var watch = Stopwatch.StartNew();
        var task = Task.Run(() => Cli.Cli.Invoke(args, new InvocationConfiguration { Output = output, Error = error }));

        // VmRSS is also sampled every few milliseconds, the fallback where clear_refs cannot be written.
        var sampled = before;
        while (!task.Wait(5) && watch.Elapsed < timeout)
        {
            sampled = Math.Max(sampled, Status("VmRSS:"));
        }

        var done = task.IsCompleted;
        var seconds = watch.Elapsed.TotalSeconds;
        var peak = Math.Max(sampled, reset ? Status("VmHWM:") : 0);

        // What the run added to the resident set, on top of the process' first baseline: memory the GC keeps
        // committed after an earlier large run does not count against later runs.
        var rss = Baseline.Value + Math.Max(0, peak - before);
        return done ? (task.Result, error.ToString(), seconds, rss, false) : (-1, error.ToString(), seconds, rss, true);
    }

    private static long? Baseline { get; set; }

    private static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Status(string key)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    [GeneratedRegex(@"^\s+at .+\(", RegexOptions.Multiline)]
    private static partial Regex StackTrace();

    private static string MutateCfg(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits && lines.Count > 0; e++)
        {
            var at = random.Next(lines.Count);
            switch (random.Next(10))
            {
                case 0:
                case 1:
                case 2:
                    {
                        // a value of an option line becomes an interesting one
                        var options = Enumerable.Range(0, lines.Count).Where(i => lines[i].Contains('=')).ToList();
                        if (options.Count > 0)
                        {
                            var i = options[random.Next(options.Count)];
                            lines[i] = lines[i][..(lines[i].IndexOf('=') + 1)] + Numbers[random.Next(Numbers.Length)];
                        }

                        break;
                    }

                case 3:
                    lines.RemoveAt(at);
                    break;
                case 4:
                    lines.Insert(at, lines[random.Next(lines.Count)]);
                    break;
                case 5:
                    {
                        var l = lines[at];
                        if (l.Length > 2)
                        {
                            var k = random.Next(l.Length - 1);
                            lines[at] = l[..k] + l[k + 1] + l[k] + l[(k + 2)..];
                        }

                        break;
                    }

                case 6:
                    {
                        var junk = new StringBuilder();
                        var n = random.Next(4) == 0 ? 100_000 : random.Next(1, 40);
                        for (var k = 0; k < n; k++)
                        {
                            junk.Append((char)random.Next(1, 128));
                        }

                        lines.Insert(at, junk.ToString());
                        break;
                    }

                case 7:
                    lines.Insert(at, new[] { "[convolutional]", "[maxpool]", "[route]", "[shortcut]", "[upsample]", "[yolo]", "[region]", "[reorg]", "[net]", "[avgpool]", "[sam]", "[scale_channels]" }[random.Next(12)]);
                    break;
                case 8:
                    {
                        var keys = new[] { "size", "stride", "filters", "groups", "layers", "from", "mask", "anchors", "num", "classes", "padding", "width", "height", "channels", "dilation", "stride_x" };
                        lines.Insert(at, $"{keys[random.Next(keys.Length)]}={Numbers[random.Next(Numbers.Length)]}");
                        break;
                    }

                default:
                    lines.RemoveRange(at, lines.Count - at);
                    break;
            }
        }

        return string.Join('\n', lines);
    }

    private static byte[] MutateModel(byte[] original, Random random)
    {
        if (random.Next(5) == 0)
        {
            // raw damage: flipped bytes or a truncation
            var bytes = (byte[])original.Clone();
            if (random.Next(2) == 0)
            {
                return bytes[..random.Next(bytes.Length)];
            }

            for (var k = 0; k < 1 + random.Next(8); k++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            return bytes;
        }

        var tree = ProtobufTree.Parse(original) ?? throw new InvalidOperationException("base model does not parse");
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits; e++)
        {
            var all = ProtobufTree.All(tree).ToList();
            switch (random.Next(6))
            {
                case 0:
                case 1:
                case 2:
                    {
                        var varints = all.Where(f => f.WireType == 0).ToList();
                        var f = varints[random.Next(varints.Count)];
                        f.Value = random.Next(3) == 0 ? f.Value + (ulong)random.Next(-2, 3) : Varints[random.Next(Varints.Length)];
                        break;
                    }

                case 3:
                    {
                        var strings = all.Where(f => f.WireType == 2 && f.Bytes is { Length: < 200 }).ToList();
                        if (strings.Count > 0)
                        {
                            strings[random.Next(strings.Count)].Bytes = Encoding.UTF8.GetBytes(Texts[random.Next(Texts.Length)]);
                        }

                        break;
                    }

                case 4:
                    {
                        var fixeds = all.Where(f => f.WireType == 5).ToList();
                        if (fixeds.Count > 0)
                        {
                            var v = new[] { float.NaN, float.PositiveInfinity, 0f, -1f, 1e30f, float.Epsilon }[random.Next(6)];
                            fixeds[random.Next(fixeds.Count)].Bytes = BitConverter.GetBytes(v);
                        }

                        break;
                    }

                default:
                    {
                        var lists = ProtobufTree.Lists(tree).Where(l => l.Count > 0).ToList();
                        var list = lists[random.Next(lists.Count)];
                        var k = random.Next(list.Count);
                        if (random.Next(2) == 0)
                        {
                            list.RemoveAt(k);
                        }
                        else
                        {
                            list.Insert(k, list[random.Next(list.Count)]);
                        }

                        break;
                    }
            }
        }

        return ProtobufTree.Serialize(tree);
    }
}
