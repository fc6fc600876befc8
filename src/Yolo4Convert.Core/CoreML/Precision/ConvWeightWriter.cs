using System.Buffers.Binary;
using System.Runtime.InteropServices;
using CoreML.Specification;
using Google.Protobuf;
using Yolo4Convert.Graph;
using Yolo4Convert.Passes;
using Yolo4Convert.Weights;

namespace Yolo4Convert.CoreML.Precision;

/// <summary>
/// Writes one convolution's <c>weights</c> and <c>bias</c> fields straight from a <see cref="ConvWeightsSource"/>:
/// the kernel is read, folded and encoded a chunk at a time through buffers reused for every layer, so float32
/// and float16 models are written in constant memory. Quantized formats hold one layer at a time: the k-means
/// table is fitted to the whole layer, and the quantizers work on a layer. The bytes are those of the WeightParams
/// messages <see cref="WeightEncoding.Encode"/> builds.
/// </summary>
internal sealed class ConvWeightWriter(WeightEncoding encoding, double epsilon, ConvWeightsSource source)
{
    // 256 KiB of floats: cache-resident between reading, folding and writing (1 MiB measured no faster).
    private const int ChunkFloats = 1 << 16;

    private readonly float[] _chunk = GC.AllocateUninitializedArray<float>(ChunkFloats);
    private readonly float[] _folded = GC.AllocateUninitializedArray<float>(ChunkFloats);
    private byte[] _bytes = [];
    private double[] _factors = [];
    private float[] _bias = [];
    private float[] _layer = [];

    /// <summary>The serialised sizes of the kernel's and the bias' WeightParams (without their own framing).</summary>
    public (long Kernel, long Bias) Sizes(ConvSlot slot) =>
        (slot.Format.SerializedSize(slot.KernelCount, slot.Conv.Filters), encoding.SerializedBiasSize(slot.Conv.Filters));

    /// <summary>Writes the <c>weights</c> and <c>bias</c> fields (90, 91) of one convolution's parameters.</summary>
    public void Write(ConvSlot slot, Stream output)
    {
        var (conv, layerName, kernelCount, format) = (slot.Conv, slot.Layer.Name, slot.KernelCount, slot.Format);
        var (values, folds) = OpenFolded(conv, kernelCount);
        var filters = conv.Filters;
        var bias = _bias.AsSpan(0, filters);
        var (kernelSize, biasSize) = Sizes(slot);
        ProtoFraming.WriteField(output, ConvolutionLayerParams.WeightsFieldNumber, kernelSize);
        switch (format)
        {
            case WeightFormat.IeeeSingle:
                ProtoFraming.WriteField(output, WeightParams.FloatValueFieldNumber, 4 * kernelCount);
                ForEachChunk(values, folds, kernelCount / filters, (folded, _) => WriteFloats(folded, output));
                break;
            case WeightFormat.IeeeHalf:
                ProtoFraming.WriteField(output, WeightParams.Float16ValueFieldNumber, 2 * kernelCount);
                ForEachChunk(values, folds, kernelCount / filters, (folded, first) =>
                {
                    var bytes = Bytes(2 * folded.Length);
                    HalfPrecision.Encode(folded, bytes, layerName, first);
                    output.Write(bytes);
                });
                break;
            default:
                var kernel = WholeLayer(values, folds, kernelCount / filters);
                encoding.Encode(layerName, format, kernel, bias).Weights.WriteTo(output);
                break;
        }

        ProtoFraming.WriteField(output, ConvolutionLayerParams.BiasFieldNumber, biasSize);
        encoding.EncodeBias(layerName, bias).WriteTo(output);
    }

    /// <summary>
    /// Reads one convolution, hands its batch-norm-folded kernel to <paramref name="consume"/> a chunk at a time (with
    /// the index of the chunk's first value) and returns the folded bias: the streaming path of formats that store
    /// the kernel as plain floats elsewhere (the ML Program's weight.bin).
    /// </summary>
    public ReadOnlySpan<float> StreamFolded(ConvolutionalLayer conv, long kernelCount, Action<ReadOnlySpan<float>, long> consume)
    {
        var (values, folds) = OpenFolded(conv, kernelCount);
        ForEachChunk(values, folds, kernelCount / conv.Filters, consume);
        return _bias.AsSpan(0, conv.Filters);
    }

    /// <summary>
    /// Reads one convolution whole and returns its batch-norm-folded kernel, and its folded bias in
    /// <paramref name="bias"/>: the path of formats encoded a layer at a time (the ML Program's compressed kernels).
    /// Both spans live in buffers reused by the next call.
    /// </summary>
    public ReadOnlySpan<float> ReadFolded(ConvolutionalLayer conv, long kernelCount, out ReadOnlySpan<float> bias)
    {
        var (values, folds) = OpenFolded(conv, kernelCount);
        var kernel = WholeLayer(values, folds, kernelCount / conv.Filters);
        bias = _bias.AsSpan(0, conv.Filters);
        return kernel;
    }

    // Opens one convolution's values and works out its batch-norm folding into buffers reused for every layer: the
    // per-filter factors (false when there is no batch norm to fold) and the folded bias, left in _bias.
    private (ConvValues Values, bool Folds) OpenFolded(ConvolutionalLayer conv, long kernelCount)
    {
        var values = source.Open(conv);
        if (values.KernelCount != kernelCount)
        {
            throw new InvalidOperationException($"layer {conv.Index} has {values.KernelCount} kernel values, the model was laid out for {kernelCount}");
        }

        var filters = conv.Filters;
        if (_factors.Length < filters)
        {
            _factors = new double[filters];
            _bias = new float[filters];
        }

        return (values, BatchNormFolding.Factors(values.Biases, values.BatchNorm, epsilon, _factors, _bias.AsSpan(0, filters)));
    }

    // Reads the kernel chunk by chunk, folds each filter's part with its factor, and hands the folded chunk on
    // with the index of its first value.
    private void ForEachChunk(ConvValues values, bool folds, long perFilter, Action<ReadOnlySpan<float>, long> consume)
    {
        while (values.KernelRead < values.KernelCount)
        {
            var first = values.KernelRead;
            var chunk = _chunk.AsSpan(0, (int)Math.Min(ChunkFloats, values.KernelCount - first));
            values.ReadKernel(chunk);
            consume(folds ? Fold(chunk, first, perFilter, _folded) : chunk, first);
        }
    }

    private Span<float> Fold(ReadOnlySpan<float> chunk, long first, long perFilter, Span<float> destination)
    {
        var done = 0;
        while (done < chunk.Length)
        {
            var index = first + done;
            var filter = (int)(index / perFilter);
            var run = (int)Math.Min(chunk.Length - done, ((filter + 1) * perFilter) - index);
            BatchNormFolding.Scale(chunk.Slice(done, run), _factors[filter], destination.Slice(done, run));
            done += run;
        }

        return destination[..chunk.Length];
    }

    private ReadOnlySpan<float> WholeLayer(ConvValues values, bool folds, long perFilter)
    {
        var count = checked((int)values.KernelCount);
        if (_layer.Length < count)
        {
            _layer = GC.AllocateUninitializedArray<float>(count);
        }

        var kernel = _layer.AsSpan(0, count);
        values.ReadKernel(kernel);
        return folds ? Fold(kernel, 0, perFilter, kernel) : kernel;
    }

    private Span<byte> Bytes(int count)
    {
        if (_bytes.Length < count)
        {
            _bytes = GC.AllocateUninitializedArray<byte>(4 * ChunkFloats);
        }

        return _bytes.AsSpan(0, count);
    }

    private void WriteFloats(ReadOnlySpan<float> values, Stream output)
    {
        if (BitConverter.IsLittleEndian)
        {
            output.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        var bytes = Bytes(4 * values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes[(4 * i)..], values[i]);
        }

        output.Write(bytes);
    }
}
