using Yolo4Convert.Weights;

namespace Yolo4Convert.CoreML;

/// <summary>How Darknet's mish activation is expressed in Core ML.</summary>
public enum MishLowering
{
    /// <summary>A custom layer with className "Mish"; the app ships the class (see samples/ios). Needs spec 2.</summary>
    CustomLayer,

    /// <summary>Built-in layers: softplus → tanh → multiply. Runs anywhere without app code; spec 1.</summary>
    Native,

    /// <summary>
    /// Built-in layers with softplus(x) = max(x, 0) + softplus(−|x|), so softplus only sees inputs ≤ 0: the form that
    /// stays exact where a half-precision softplus of large inputs breaks down (the Neural Engine). Spec 1.
    /// </summary>
    Stable,
}

/// <summary>Options of <see cref="CoreMLWriter"/>; validated once by the writer.</summary>
public sealed record CoreMLWriterOptions
{
    /// <summary>How mish is lowered.</summary>
    public MishLowering Mish { get; init; } = MishLowering.CustomLayer;

    /// <summary>The className of the Mish custom layer.</summary>
    public string MishClassName { get; init; } = "Mish";

    /// <summary>Name of the image input.</summary>
    public string InputName { get; init; } = "image";

    /// <summary>Names of the head outputs in cfg order; null gives head_s8, head_s16, … (by stride).</summary>
    public IReadOnlyList<string>? OutputNames { get; init; }

    /// <summary>Class names written to the metadata (key "classes"); null when unknown.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Metadata author.</summary>
    public string Author { get; init; } = "converted from Darknet by yolo4convert";

    /// <summary>Metadata licence.</summary>
    public string License { get; init; } = "the licence of the original Darknet model";

    /// <summary>Metadata short description; null for a generated one.</summary>
    public string? Description { get; init; }

    /// <summary>Extra metadata written to userDefined, e.g. the source file names.</summary>
    public IReadOnlyDictionary<string, string>? UserDefined { get; init; }

    /// <summary>Float format (<see cref="WeightFormat.Floats"/>) of the weights and biases that are not quantized.</summary>
    public WeightFormat Precision { get; init; } = WeightFormat.Fp32;

    /// <summary>Quantized format (<see cref="WeightFormat.Quantized"/>) of convolution kernels, or null; biases always stay in float.</summary>
    public WeightFormat? Quantization { get; init; }

    /// <summary>Kernels with fewer weights than this stay in float when quantizing.</summary>
    public int MinimumQuantizedWeights { get; init; } = 4096;

    /// <summary>Batch-norm epsilon. Darknet's is 1e-5; other values exist only to prove that tests catch them.</summary>
    internal double BatchNormEpsilon { get; init; } = 1e-5;

    /// <summary>Use Core ML "same" padding for convs, as naive converters do (wrong for stride 2); test-only.</summary>
    internal bool NaiveSamePadding { get; init; }
}
