using System.CommandLine;
using Yolo4Convert.CoreML;

namespace Yolo4Convert.Cli;

/// <summary>The convert options that choose how weights are stored: --precision and --quantize.</summary>
internal sealed class PrecisionOptions
{
    public Option<string?> Precision { get; } = new("--precision")
    {
        Description = "Float format of the stored weights: 'fp32' or 'fp16' (half the size). For .mlmodel the default is fp32 (fp16 needs spec 2 / iOS 11.2); "
            + "for .mlpackage the default is fp16, which also types the program in fp16 (inputs and outputs stay fp32), and fp32 gives an exact fp32 program.",
    };

    public Option<string> Quantize { get; } = new("--quantize")
    {
        Description = "Quantize convolution kernels: 'linear8' (8-bit, a scale and offset per output channel), 'kmeans8', 'kmeans6' or 'kmeans4' (a lookup table per layer fitted by k-means). Spec 3 / iOS 12. Biases and kernels below 4096 weights stay in float.",
        DefaultValueFactory = _ => "none",
    };

    public PrecisionOptions()
    {
        Precision.AcceptOnlyFromAmong("fp32", "fp16");
        Quantize.AcceptOnlyFromAmong("none", "linear8", "kmeans8", "kmeans6", "kmeans4");
    }

    public IEnumerable<Option> All => [Precision, Quantize];

    /// <summary>The options only shape Core ML weights: asking for them with a Keras-only output is a mistake.</summary>
    public void CheckApplies(ParseResult parse, bool kerasOnly)
    {
        if (kerasOnly && (parse.GetValue(Precision) is not (null or "fp32") || parse.GetValue(Quantize) != "none"))
        {
            throw new UsageException("--precision and --quantize shape the .mlmodel's weights; the .h5 output keeps float32 weights.");
        }
    }

    /// <summary>Applies the parsed choice to writer options.</summary>
    public CoreMLWriterOptions Apply(ParseResult parse, CoreMLWriterOptions options, bool package = false) => options with
    {
        Precision = (parse.GetValue(Precision) ?? (package ? "fp16" : "fp32")) == "fp16" ? WeightPrecision.Fp16 : WeightPrecision.Fp32,
        Quantization = parse.GetValue(Quantize) switch
        {
            "linear8" => WeightQuantization.Linear8,
            "kmeans8" => WeightQuantization.KMeans8,
            "kmeans6" => WeightQuantization.KMeans6,
            "kmeans4" => WeightQuantization.KMeans4,
            _ => WeightQuantization.None,
        },
    };

    /// <summary>"weights fp16" or "weights kmeans4 (3 small convs in fp32)"; empty for the default.</summary>
    public static string Summary(CoreMLWriterOptions options, WeightEncodingReport? report)
    {
        if (report is null || (options.Precision == WeightPrecision.Fp32 && options.Quantization == WeightQuantization.None))
        {
            return string.Empty;
        }

        var kept = report.KeptInFloat(options.Quantization).Count();
        var name = options.Quantization == WeightQuantization.None ? Format(options.Precision) : options.Quantization.ToString().ToLowerInvariant();
        return kept == 0 ? $", weights {name}" : $", weights {name} ({kept} small convs in {Format(options.Precision)}, --verbose lists them)";
    }

    /// <summary>The lines --verbose adds: every conv left in float by the quantizer.</summary>
    public static IEnumerable<string> VerboseLines(CoreMLWriterOptions options, WeightEncodingReport? report) =>
        report is null || options.Quantization == WeightQuantization.None ? []
            : report.KeptInFloat(options.Quantization).Select(l =>
                $"kept in {l.Format}: {l.LayerName} ({l.Weights} weights < {options.MinimumQuantizedWeights})");

    public static string Format(WeightPrecision p) => p == WeightPrecision.Fp16 ? "fp16" : "fp32";
}
