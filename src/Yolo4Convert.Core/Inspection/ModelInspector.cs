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

    /// <summary>Describes an ML Program package.</summary>
    public static ModelInspection Inspect(InputFolder package) => MLPackageInspector.Inspect(package);

    /// <summary>Describes a model file.</summary>
    public static ModelInspection Inspect(InputFile file)
    {
        var kind = ModelFileSniffer.Of(file);
        switch (kind)
        {
            case ModelFileKind.CoreMLModel:
                using (var stream = file.Open())
                {
                    return CoreMLInspector.Inspect(stream, file.Name);
                }

            case ModelFileKind.Hdf5:
                return KerasInspector.Inspect(file);
            default:
                throw NotAModel(file);
        }
    }

    /// <summary>The error for a file that is neither a cfg nor a model: its size and first bytes.</summary>
    public static ModelFormatException NotAModel(InputFile file)
    {
        long length;
        byte[] head;
        using (var stream = file.Open())
        {
            length = stream.Length;
            head = new byte[(int)Math.Min(4, length)];
            stream.ReadExactly(head);
        }

        return new ModelFormatException(
            $"this binary file of {length.ToString("N0", CultureInfo.InvariantCulture)} bytes (starting {Convert.ToHexString(head)}) is neither a Darknet cfg nor a model yolo4convert reads (.mlmodel, .mlpackage, .h5); "
            + "expected a .cfg text, a Core ML .mlmodel (a protobuf) or a Keras .h5 (HDF5).",
            SourceLocation.Bytes(file.Name, 0), "inspect takes a cfg (yolo4convert inspect CFG [WEIGHTS]) or a model yolo4convert wrote (yolo4convert inspect MODEL).");
    }
}
