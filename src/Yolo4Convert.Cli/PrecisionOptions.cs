using System.CommandLine;
using Yolo4Convert.CoreML;
using Yolo4Convert.Weights;

namespace Yolo4Convert.Cli;

/// <summary>The convert options that choose how weights are stored: --precision and --quantize, named by <see cref="WeightFormat"/>.</summary>
internal sealed class PrecisionOptions
{
    private const string NoQuantization = "none";

    public Option<string?> Precision { get; } = new("--precision")
    {
        Description = "Float format of the stored weights: 'fp32' or 'fp16' (half the size). For .mlmodel the default is fp32 (fp16 needs spec 2 / iOS 11.2); "
            + "for .mlpackage the default is fp16, which also types the program in fp16 (inputs and outputs stay fp32), and fp32 gives an exact fp32 program.",
    };

    public Option<string> Quantize { get; } = new("--quantize")
    {
        Description = "Quantize convolution kernels: 'linear8' (8-bit, a scale and offset per output channel), 'kmeans8', 'kmeans6' or 'kmeans4' (a lookup table per layer fitted by k-means). .mlmodel: spec 3 / iOS 12; .mlpackage: iOS 16's constexpr ops (spec 7; kmeans not with --target iOS18). Biases and kernels below 4096 weights stay in float.",
        DefaultValueFactory = _ => NoQuantization,
    };

    public PrecisionOptions()
    {
        Precision.AcceptOnlyFromAmong([.. WeightFormat.Floats.Select(f => f.Name)]);
        Quantize.AcceptOnlyFromAmong([NoQuantization, .. WeightFormat.Quantized.Select(f => f.Name)]);
    }

    public IEnumerable<Option> All => [Precision, Quantize];

    /// <summary>The options only shape Core ML weights: asking for them with a Keras-only output is a mistake.</summary>
    public void CheckApplies(ParseResult parse, bool kerasOnly)
    {
        if (kerasOnly && (PrecisionOf(parse, package: false) != WeightFormat.Fp32 || QuantizationOf(parse) is not null))
        {
            throw new UsageException("--precision and --quantize shape the .mlmodel's weights; the .h5 output keeps float32 weights.");
        }
    }

    /// <summary>Applies the parsed choice to writer options.</summary>
    public CoreMLWriterOptions Apply(ParseResult parse, CoreMLWriterOptions options, bool package = false) => options with
    {
        Precision = PrecisionOf(parse, package),
        Quantization = QuantizationOf(parse),
    };

    /// <summary>"weights fp16" or "weights kmeans4 (3 small convs in fp32)"; empty for the default.</summary>
    public static string Summary(CoreMLWriterOptions options, WeightEncodingReport? report)
    {
        if (report is null || (options.Precision == WeightFormat.Fp32 && options.Quantization is null))
        {
            return string.Empty;
        }

        var kept = report.KeptInFloat(options.Quantization).Count();
        var name = (options.Quantization ?? options.Precision).Name;
        return kept == 0 ? $", weights {name}" : $", weights {name} ({kept} small convs in {Format(options.Precision)}, --verbose lists them)";
    }

    /// <summary>The lines --verbose adds: every conv left in float by the quantizer.</summary>
    public static IEnumerable<string> VerboseLines(CoreMLWriterOptions options, WeightEncodingReport? report) =>
        report is null || options.Quantization is null ? []
            : report.KeptInFloat(options.Quantization).Select(l =>
                $"kept in {l.Format}: {l.LayerName} ({l.Weights} weights < {options.MinimumQuantizedWeights})");

    /// <summary>A format's name as the options spell it.</summary>
    public static string Format(WeightFormat format) => format.Name;

    /// <summary>The --quantize value of writer options: a format's name or "none".</summary>
    public static string QuantizationName(CoreMLWriterOptions options) => options.Quantization?.Name ?? NoQuantization;

    // Not given: fp32 for a .mlmodel, fp16 for a .mlpackage (as coremltools and Ultralytics write packages).
    private WeightFormat PrecisionOf(ParseResult parse, bool package) =>
        WeightFormat.Parse(parse.GetValue(Precision) ?? (package ? WeightFormat.Fp16 : WeightFormat.Fp32).Name);

    private WeightFormat? QuantizationOf(ParseResult parse) =>
        parse.GetValue(Quantize) is { } q && q != NoQuantization ? WeightFormat.Parse(q) : null;
}
