using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;

namespace Yolo4Convert.Darknet;

/// <summary>
/// A .weights file opened against its cfg: the header read and the size checked up front (a mismatch fails before
/// anything is written), then each convolution read on demand, in any order, whole or in chunks, so that a writer
/// holds at most a chunk of the weights. Every layer is checked for NaN, ±Inf and negative variance the first time
/// it is read in full (<see cref="DarknetWeightsChecks"/>). The stream must stay open and seekable while in use.
/// </summary>
public sealed class DarknetWeightsFile : ConvWeightsSource, IDisposable
{
    private readonly ShapedNetwork _shaped;
    private readonly Stream _stream;
    private readonly string _fileName;
    private readonly WarningLog? _warnings;
    private readonly long[] _offsets;
    private readonly HashSet<int> _checked = [];
    private ConvValues? _reading;
    private bool _ownsStream;

    private DarknetWeightsFile(ShapedNetwork shaped, Stream stream, string fileName, WarningLog? warnings, WeightsHeader header, long[] offsets)
    {
        _shaped = shaped;
        _stream = stream;
        _fileName = fileName;
        _warnings = warnings;
        _offsets = offsets;
        Header = header;
    }

    /// <summary>The file's header.</summary>
    public WeightsHeader Header { get; }

    /// <summary>
    /// Reads the header of a seekable stream and checks its length against <paramref name="shaped"/>; suspicious
    /// values go to <paramref name="warnings"/> as layers are read (or fail in its strict mode).
    /// </summary>
    public static DarknetWeightsFile Open(ShapedNetwork shaped, Stream stream, string fileName, WarningLog? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(shaped);
        ArgumentNullException.ThrowIfNull(stream);
        var length = stream.Length;
        var header = DarknetWeightsReader.ReadHeader(stream, length, fileName);
        var expected = DarknetWeightsReader.ExpectedSize(shaped, header.Size);
        if (length != expected)
        {
            throw DarknetWeightsReader.Mismatch(shaped, header, length, expected, fileName);
        }

        var offsets = new long[shaped.Network.Layers.Length];
        long offset = header.Size;
        foreach (var layer in shaped.Network.Layers)
        {
            offsets[layer.Index] = offset;
            offset += 4 * shaped.WeightFloats(layer);
        }

        return new DarknetWeightsFile(shaped, stream, fileName, warnings, header, offsets);
    }

    /// <summary>Opens a .weights file for <paramref name="shaped"/>; disposing the result closes it.</summary>
    public static DarknetWeightsFile Open(ShapedNetwork shaped, InputFile weights, WarningLog? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var stream = weights.Open();
        try
        {
            var file = Open(shaped, stream, weights.Name, warnings);
            file._ownsStream = true;
            return file;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads every layer once, in chunks, for its checks alone (what <c>inspect</c> does with weights).</summary>
    public void Scan()
    {
        var chunk = new float[1 << 16];
        foreach (var layer in _shaped.Network.Layers.OfType<ConvolutionalLayer>())
        {
            var values = Open(layer);
            while (values.KernelRead < values.KernelCount)
            {
                values.ReadKernel(chunk.AsSpan(0, (int)Math.Min(chunk.Length, values.KernelCount - values.KernelRead)));
            }
        }
    }

    /// <summary>Closes the file if this object opened it.</summary>
    public void Dispose()
    {
        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }

    /// <inheritdoc/>
    public override ConvValues Open(ConvolutionalLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var offset = _offsets[layer.Index];
        if (_stream.Position != offset)
        {
            _stream.Position = offset;
        }

        var biases = DarknetWeightsReader.ReadFloats(_stream, layer.Filters);
        BatchNormWeights? bn = layer.BatchNormalize
            ? new BatchNormWeights(DarknetWeightsReader.ReadFloats(_stream, layer.Filters), DarknetWeightsReader.ReadFloats(_stream, layer.Filters), DarknetWeightsReader.ReadFloats(_stream, layer.Filters))
            : null;
        DarknetWeightsChecks? checks = null;
        if (_warnings is not null && !_checked.Contains(layer.Index))
        {
            checks = new DarknetWeightsChecks(layer, offset);
            checks.AddHead(biases, bn);
        }

        var values = new FileValues(this, layer, biases, bn, _shaped.KernelCount(layer), checks);
        _reading = values;
        return values;
    }

    private sealed class FileValues(DarknetWeightsFile file, ConvolutionalLayer layer, float[] biases, BatchNormWeights? bn, long count, DarknetWeightsChecks? checks)
        : ConvValues(biases, bn, count)
    {
        protected override void ReadKernelCore(Span<float> destination)
        {
            // The values are read where the previous read stopped: one layer at a time.
            if (file._reading != this)
            {
                throw new InvalidOperationException($"layer {layer.Index} is read after another layer was opened");
            }

            DarknetWeightsReader.ReadFloats(file._stream, destination);
            checks?.Add("kernel", destination);
        }

        protected override void Finished()
        {
            if (checks is not null && file._checked.Add(layer.Index))
            {
                checks.Report(BatchNorm, file._fileName, file._warnings!);
            }
        }
    }
}
