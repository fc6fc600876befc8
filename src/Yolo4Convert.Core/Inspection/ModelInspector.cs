using System.Globalization;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Inspection;

/// <summary>
/// The front door of `inspect MODEL`: picks the reader by the file's content (<see cref="ModelFileSniffer"/>), not
/// its name. A new format (an .mlpackage folder, say) is one more case here and one more reader.
/// </summary>
public static class ModelInspector
{
    /// <summary>Whether <paramref name="kind"/> is a model this class reads.</summary>
    public static bool Reads(ModelFileKind kind) => kind is ModelFileKind.CoreMLModel or ModelFileKind.Hdf5;

    /// <summary>Describes the model file at <paramref name="path"/> (named <paramref name="fileName"/> in messages).</summary>
    public static ModelInspection Inspect(string path, string fileName)
    {
        if (Runtime.MLProgram.MLPackage.IsPackage(path))
        {
            return MLPackageInspector.Inspect(path, fileName);
        }

        var kind = ModelFileSniffer.Of(path);
        switch (kind)
        {
            case ModelFileKind.CoreMLModel:
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                {
                    return CoreMLInspector.Inspect(stream, fileName);
                }

            case ModelFileKind.Hdf5:
                return KerasInspector.Inspect(path, fileName);
            default:
                throw NotAModel(path, fileName);
        }
    }

    /// <summary>The error for a file that is neither a cfg nor a model: its size and first bytes.</summary>
    public static DarknetFormatException NotAModel(string path, string fileName)
    {
        var length = new FileInfo(path).Length;
        var head = new byte[(int)Math.Min(4, length)];
        using (var stream = File.OpenRead(path))
        {
            stream.ReadExactly(head);
        }

        return new DarknetFormatException(
            $"this binary file of {length.ToString("N0", CultureInfo.InvariantCulture)} bytes (starting {Convert.ToHexString(head)}) is neither a Darknet cfg nor a model yolo4convert reads (.mlmodel, .h5); "
            + "expected a .cfg text, a Core ML .mlmodel (a protobuf) or a Keras .h5 (HDF5).",
            SourceLocation.Bytes(fileName, 0), "inspect takes a cfg (yolo4convert inspect CFG [WEIGHTS]) or a model yolo4convert wrote (yolo4convert inspect MODEL).");
    }
}
