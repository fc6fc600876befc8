using System.Buffers.Binary;
using System.Runtime.InteropServices;
using CoreML.Specification;
using CoreML.Specification.MILSpec;
using Google.Protobuf;
using Yolo4Convert.CoreML.Precision;
using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Ir;
using Yolo4Convert.Passes;
using Yolo4Convert.Weights;
using MilProgram = CoreML.Specification.MILSpec.Program;

namespace Yolo4Convert.CoreML.MLProgram;

/// <summary>What a package write produced.</summary>
public sealed record MLProgramWriteResult(
    MLProgramTarget Target, WeightFormat Precision, int OperationCount, IReadOnlyList<string> OperationTypes,
    IReadOnlyList<HeadDescription> Heads, long WeightFileBytes, int Blobs, WeightEncodingReport Weights)
{
    /// <summary>The Core ML specification version.</summary>
    public int SpecificationVersion => Target.SpecificationVersion();

    /// <summary>The opset of the main function.</summary>
    public string Opset => Target.Opset();
}

/// <summary>
/// Writes a Core ML ML Program package (<c>.mlpackage</c>): <c>Manifest.json</c>, <c>Data/com.apple.CoreML/model.mlmodel</c>
/// (the Model message with an <c>mlProgram</c>) and <c>Data/com.apple.CoreML/weights/weight.bin</c> (MIL blob storage
/// version 2 holding every convolution's folded kernel and bias). The program has the image input of the
/// .mlmodel, the same raw head outputs (fp32, [1, C, H, W]) and the same metadata. Weights are streamed from a
/// <see cref="ConvWeightsSource"/> a chunk at a time; the blob offsets are known from the counts before any value is
/// read. The manifest's identifiers are derived from the content, so the same input gives the same bytes.
/// </summary>
public sealed class MLProgramWriter
{
    /// <summary>The package's manifest, relative to the package folder.</summary>
    public const string ManifestPath = "Manifest.json";

    /// <summary>The root model, relative to the package folder.</summary>
    public const string ModelPath = "Data/com.apple.CoreML/model.mlmodel";

    /// <summary>The weight file, relative to the package folder.</summary>
    public const string WeightsPath = "Data/com.apple.CoreML/weights/weight.bin";

    private readonly CoreMLWriterOptions _options;
    private readonly CoreMLWriter _common;
    private readonly MLProgramTarget? _target;
    private readonly MLProgramTarget _needed;

    /// <summary>Creates a writer; <paramref name="target"/> null picks the lowest target that can express the options.</summary>
    public MLProgramWriter(CoreMLWriterOptions? options = null, MLProgramTarget? target = null)
    {
        _options = options ?? new CoreMLWriterOptions { Precision = WeightFormat.Fp16, Mish = MishLowering.Stable };
        _common = new CoreMLWriter(_options);
        _target = target;
        foreach (var name in (_options.OutputNames ?? []).Append(_options.InputName))
        {
            if (!MilBlockBuilder.IsIdentifier(name))
            {
                throw new ArgumentException($"'{name}' cannot name an ML Program input or output: use letters, digits and _, not starting with a digit, and no MIL type keyword", nameof(options));
            }
        }

        var needed = KernelStorage.MinimumTarget(_options.Quantization ?? _options.Precision);
        if (target is { } pinned && pinned < needed)
        {
            throw new UnsupportedFeatureException(
                $"--quantize {_options.Quantization!.Name} needs {needed.Name()} (its constexpr weight ops arrived with opset {needed.Opset()}); --target {pinned.Name()} cannot express it.", null,
                $"leave out --target ({needed.Name()} is chosen), pass --target {needed.Name()} or later, or drop --quantize.");
        }

        if (target is MLProgramTarget.IOS18 && _options.Quantization is WeightFormat.KMeans)
        {
            throw new UnsupportedFeatureException(
                $"--quantize {_options.Quantization.Name} with --target iOS18: opset CoreML8 replaced constexpr_lut_to_dense with a per-group form that yolo4convert does not write.", null,
                "pass --target iOS17 (it runs on iOS 18 too) or leave out --target.");
        }

        _needed = needed;
    }

    /// <summary>The target the package is written for: the pinned one, or the lowest that works (iOS 15; iOS 16 for compressed weights).</summary>
    public MLProgramTarget Target => _target ?? _needed;

    /// <summary>The heads of a network with the output names this writer gives them.</summary>
    public IReadOnlyList<HeadDescription> DescribeHeads(ShapedNetwork shaped) => _common.DescribeHeads(shaped);

    /// <summary>
    /// Writes the package's three files through <paramref name="create"/>, which opens a new file at a path relative
    /// to the package folder ("/" separated; the caller creates the folders), reading each convolution's weights as
    /// weight.bin is written.
    /// </summary>
    public MLProgramWriteResult Write(ShapedNetwork shaped, ConvWeightsSource weights, Func<string, Stream> create)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(create);
        var (model, lowering, result) = Layout(shaped);
        WriteFiles(model, lowering, weights, create, WeightsPath);
        return result;
    }

    /// <summary>Writes the package, whose weights are in memory.</summary>
    public MLProgramWriteResult Write(WeightedNetwork weighted, ShapedNetwork shaped, Func<string, Stream> create)
    {
        ArgumentNullException.ThrowIfNull(weighted);
        return Write(shaped, ConvWeightsSource.From(weighted), create);
    }

    /// <summary>The root model (its program references blobs by offset) and the weight file's layout.</summary>
    internal (Model Model, MLProgramLowering Lowering, MLProgramWriteResult Result) Layout(ShapedNetwork shaped)
    {
        var (graph, heads, lowering) = Lower(shaped, BlobLayout.FileName);
        var block = lowering.Emit();
        var description = new ModelDescription { Metadata = _common.Metadata(graph, heads).Message };
        description.Input.Add(_common.InputDescription(graph.Net));
        foreach (var head in heads)
        {
            description.Output.Add(CoreMLWriter.OutputDescription(head, [1, head.Shape.C, head.Shape.H, head.Shape.W]));
        }

        var model = new Model { SpecificationVersion = Target.SpecificationVersion(), Description = description, MlProgram = Program(lowering, block) };
        return (model, lowering, Result(lowering, block, heads));
    }

    /// <summary>The IR of a network, its heads and the lowering (not yet emitted) whose blobs live in <paramref name="blobFile"/>.</summary>
    internal (IrGraph Graph, IReadOnlyList<HeadDescription> Heads, MLProgramLowering Lowering) Lower(ShapedNetwork shaped, string blobFile)
    {
        var graph = CoreMLWriter.Lower(shaped);
        CoreMLWriter.CheckChannels(shaped);
        var heads = _common.DescribeHeads(graph);
        return (graph, heads, new MLProgramLowering(graph, _options, heads, blobFile));
    }

    /// <summary>The program of an emitted block: its function <c>main</c> at the target's opset.</summary>
    internal MilProgram Program(MLProgramLowering lowering, Block block)
    {
        var function = new Function { Opset = Target.Opset() };
        function.Inputs.Add(new NamedValueType { Name = _options.InputName, Type = lowering.InputType });
        function.BlockSpecializations[Target.Opset()] = block;
        var program = new MilProgram { Version = 1 };
        program.Functions["main"] = function;
        return program;
    }

    /// <summary>What a write of this block reports.</summary>
    internal MLProgramWriteResult Result(MLProgramLowering lowering, Block block, IReadOnlyList<HeadDescription> heads)
    {
        // Counted like the .mlmodel's layers: what computes, not the weights (const, and the constexpr ops that decompress them).
        var ops = block.Operations.Where(o => !o.Type.StartsWith("const", StringComparison.Ordinal)).ToList();
        return new MLProgramWriteResult(
            Target, _options.Precision, ops.Count, [.. ops.Select(o => o.Type).Distinct().Order(StringComparer.Ordinal)], heads,
            lowering.Blobs.Length, lowering.Blobs.Slots.Count, lowering.Weights);
    }

    /// <summary>The common writer (metadata, input description) of the options.</summary>
    internal CoreMLWriter Common => _common;

    /// <summary>
    /// Writes a package's files through <paramref name="create"/>: the weight file at <paramref name="weightsPath"/>
    /// (streamed from <paramref name="weights"/>), the root model and the manifest, whose identifiers derive from both.
    /// </summary>
    internal void WriteFiles(Model model, MLProgramLowering lowering, ConvWeightsSource weights, Func<string, Stream> create, string weightsPath)
    {
        byte[] weightsHash;
        using (var stream = create(weightsPath))
        {
            weightsHash = WriteWeights(lowering, weights, stream);
        }

        var modelBytes = model.ToByteArray();
        using (var stream = create(ModelPath))
        {
            stream.Write(modelBytes);
        }

        using (var stream = create(ManifestPath))
        {
            PackageManifest.Write(stream, System.Security.Cryptography.SHA256.HashData([.. System.Security.Cryptography.SHA256.HashData(modelBytes), .. weightsHash]));
        }
    }

    // The header, then per convolution the kernel's and the bias' metadata and data, each record 64-byte aligned;
    // returns a 128-bit hash of the bytes written.
    private byte[] WriteWeights(MLProgramLowering lowering, ConvWeightsSource source, Stream stream)
    {
        var layout = lowering.Blobs;
        // XXH128 of the bytes (tens of GB/s): the package's identifiers only need to follow from its content, and
        // SHA-256 over yolov4's 257 MB took as long as the rest of the conversion.
        var hash = new System.IO.Hashing.XxHash128();
        long position = 0;
        void Put(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            hash.Append(bytes);
            position += bytes.Length;
        }

        void Record(BlobSlot slot)
        {
            Span<byte> zeros = stackalloc byte[BlobLayout.RecordSize];
            zeros.Clear();
            Put(zeros[..(int)(slot.MetadataOffset - position)]);
            Put(BlobLayout.Metadata(slot));
        }

        var writer = new ConvWeightWriter(WeightEncoding.From(_options), _options.BatchNormEpsilon, source);
        var kmeans = new KMeansQuantizer();
        var buffer = Array.Empty<byte>();
        Put(layout.Header());
        foreach (var conv in lowering.Convolutions)
        {
            var half = conv.Kernel.Dense == DataType.Float16;
            ReadOnlySpan<float> bias;
            if (conv.Kernel.Format.IsQuantized)
            {
                var kernel = writer.ReadFolded(conv.Conv, conv.KernelCount, out bias);
                var slots = conv.Kernel.Slots;
                var i = 0;
                foreach (var bytes in KernelStorage.Encode(conv.Kernel, kernel, conv.Conv.Filters, conv.OpName, kmeans))
                {
                    if (bytes.Length != slots[i].SizeInBytes)
                    {
                        throw new InvalidOperationException($"{conv.OpName}: blob {i} has {bytes.Length} bytes, {slots[i].SizeInBytes} were laid out");
                    }

                    Record(slots[i++]);
                    Put(bytes);
                }
            }
            else
            {
                Record(conv.Kernel.Slots[0]);
                bias = writer.StreamFolded(conv.Conv, conv.KernelCount, (folded, first) =>
                {
                    if (buffer.Length < 4 * folded.Length)
                    {
                        buffer = new byte[4 * folded.Length];
                    }

                    Put(Encode(folded, buffer, half, conv.OpName, first));
                });
            }

            Record(conv.Bias);
            Put(Encode(bias, new byte[4 * bias.Length], half, conv.OpName + "_bias", 0));
        }

        if (position != layout.Length)
        {
            throw new InvalidOperationException($"weight.bin has {position} bytes, {layout.Length} were laid out");
        }

        return hash.GetHashAndReset();
    }

    private static ReadOnlySpan<byte> Encode(ReadOnlySpan<float> values, byte[] buffer, bool half, string name, long first)
    {
        if (half)
        {
            var bytes = buffer.AsSpan(0, 2 * values.Length);
            HalfPrecision.Encode(values, bytes, name, first);
            return bytes;
        }

        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values);
        }

        var le = buffer.AsSpan(0, 4 * values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(le[(4 * i)..], values[i]);
        }

        return le;
    }
}
