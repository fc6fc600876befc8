using System.Buffers.Binary;
using CoreML.Specification.MILSpec;
using Yolo4Convert.Diagnostics;
using MilValueType = CoreML.Specification.MILSpec.ValueType;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>
/// Turns declared types and constant <see cref="Value"/>s of a program into <see cref="MilValue"/>s: immediate
/// tensors from the field their dtype uses, blob file values from the package's weight files.
/// </summary>
internal sealed class MilConstants(MLPackage package) : IDisposable
{
    private readonly string modelPath = package.ModelPath;

    private const string ModelPathPrefix = "@model_path/";
    private readonly Dictionary<string, BlobFile> _files = new(StringComparer.Ordinal);

    /// <summary>The largest tensor the runtime accepts (elements).</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>The static dims of a declared tensor type; <paramref name="what"/> names the value for messages.</summary>
    public int[] Dims(MilValueType? type, string what)
    {
        if (type?.TensorType is not { } tensor)
        {
            throw Bad($"{what} is not declared as a tensor");
        }

        if (tensor.Rank != tensor.Dimensions.Count || tensor.Rank is < 0 or > 5)
        {
            throw Bad($"{what} declares rank {tensor.Rank} with {tensor.Dimensions.Count} dimensions; expected rank 0 to 5, one dimension each");
        }

        var dims = new int[tensor.Rank];
        var count = 1L;
        for (var i = 0; i < dims.Length; i++)
        {
            var d = tensor.Dimensions[i];
            if (d.DimensionCase != Dimension.DimensionOneofCase.Constant)
            {
                throw new UnsupportedFeatureException($"{what} has a flexible dimension {i}; the runtime runs programs with fixed shapes only.", new SourceLocation(modelPath));
            }

            if (d.Constant.Size > int.MaxValue || (count *= (long)d.Constant.Size) > MaxElements)
            {
                throw Bad($"{what} declares dimension {i} of size {d.Constant.Size}; expected at most {MaxElements:N0} elements in all");
            }

            dims[i] = (int)d.Constant.Size;
        }

        return dims;
    }

    /// <summary>The dtype of a declared tensor type.</summary>
    public static DataType TypeOf(MilValueType? type) => type?.TensorType?.DataType ?? DataType.UnusedType;

    /// <summary>The elements of a constant <paramref name="value"/>, of the declared type.</summary>
    public MilValue Read(Value value, string what)
    {
        var dims = Dims(value.Type, what);
        var type = TypeOf(value.Type);
        var count = dims.Aggregate(1L, (a, d) => a * d);
        switch (value.ValueCase)
        {
            case Value.ValueOneofCase.BlobFileValue:
                var blob = value.BlobFileValue;
                return new MilValue(dims, type, Round(type, File(blob.FileName, what).Read(blob.Offset, type, count)));
            case Value.ValueOneofCase.ImmediateValue when value.ImmediateValue.Tensor is { } tensor:
                return Immediate(tensor, dims, type, count, what);
            default:
                throw Bad($"{what} has no immediate tensor or blob value");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            file.Dispose();
        }

        _files.Clear();
    }

    private MilValue Immediate(TensorValue tensor, int[] dims, DataType type, long count, string what)
    {
        if (type == DataType.String)
        {
            var strings = tensor.Strings?.Values.ToArray() ?? [];
            return strings.Length == count ? new MilValue(dims, type, null, strings) : throw Mismatch(what, strings.Length, count);
        }

        float[] data = tensor.ValueCase switch
        {
            TensorValue.ValueOneofCase.Floats => [.. tensor.Floats.Values],
            TensorValue.ValueOneofCase.Ints => [.. tensor.Ints.Values.Select(v => (float)v)],
            TensorValue.ValueOneofCase.LongInts => [.. tensor.LongInts.Values.Select(v => (float)v)],
            TensorValue.ValueOneofCase.Bools => [.. tensor.Bools.Values.Select(v => v ? 1f : 0f)],
            TensorValue.ValueOneofCase.Doubles => [.. tensor.Doubles.Values.Select(v => (float)v)],
            TensorValue.ValueOneofCase.Bytes => Bytes(tensor.Bytes.Values.ToByteArray(), type, what),
            _ => throw Bad($"{what} has an empty immediate tensor"),
        };
        return data.Length == count ? new MilValue(dims, type, Round(type, data)) : throw Mismatch(what, data.Length, count);
    }

    private float[] Bytes(byte[] bytes, DataType type, string what) => type switch
    {
        DataType.Float16 => [.. Enumerable.Range(0, bytes.Length / 2).Select(i => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(2 * i)))],
        DataType.Uint8 => [.. bytes.Select(b => (float)b)],
        DataType.Int8 => [.. bytes.Select(b => (float)(sbyte)b)],
        DataType.Uint32 => [.. Enumerable.Range(0, bytes.Length / 4).Select(i => (float)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4 * i)))],
        _ => throw new UnsupportedFeatureException($"{what} is a {type} tensor given as bytes; the runtime reads fp16, uint8, int8 and uint32 there.", new SourceLocation(modelPath)),
    };

    // A FLOAT16 constant's values are halves already; int and float values of other types are kept as read.
    private static float[] Round(DataType type, float[] values)
    {
        if (type == DataType.Float16)
        {
            CoreML.Precision.HalfPrecision.Round(values);
        }

        return values;
    }

    private BlobFile File(string fileName, string what)
    {
        if (_files.TryGetValue(fileName, out var open))
        {
            return open;
        }

        var relative = fileName.StartsWith(ModelPathPrefix, StringComparison.Ordinal) ? fileName[ModelPathPrefix.Length..] : null;
        if (relative is null || !MLPackage.Inside(relative))
        {
            throw Bad($"{what} refers to weight file '{Echo.Of(fileName)}'; expected a file under \"@model_path/\" inside the package");
        }

        var inPackage = package.ModelDirectory.Length == 0 ? relative : $"{package.ModelDirectory}/{relative}";
        var stream = package.Folder.Open(inPackage)
            ?? throw new ModelFormatException($"{what} refers to '{Echo.Of(fileName)}', which is not in the package (looked for {package.Folder.PathOf(inPackage)}).", new SourceLocation(modelPath),
                "the package is incomplete; copy the whole .mlpackage directory.");
        var file = BlobFile.Open(stream, package.Folder.PathOf(inPackage));
        _files[fileName] = file;
        return file;
    }

    private ModelFormatException Mismatch(string what, long have, long want) => Bad($"{what} holds {have} values; its declared shape needs {want}");

    private ModelFormatException Bad(string what) => new($"{what}.", new SourceLocation(modelPath), "the package is damaged or not one written by yolo4convert or coremltools.");
}
