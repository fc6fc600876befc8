using Yolo4Convert.Darknet;
using Yolo4Convert.Diagnostics;
using Yolo4Convert.Graph;
using Yolo4Convert.Runtime;

namespace Yolo4Convert.Cli;

/// <summary>
/// The library's readers take an <see cref="InputFile"/> the CLI opens; these path forms let a command name a file
/// by its path as the user gave it.
/// </summary>
internal static class PathOverloads
{
    extension(LoadedModel)
    {
        /// <summary>Loads the model file, or the ML Program package (a folder), at <paramref name="path"/>.</summary>
        public static LoadedModel Load(string path) =>
            InputFiles.IsPackage(path) ? LoadedModel.Load(InputFiles.OpenFolder(path)) : LoadedModel.Load(InputFiles.Open(path));
    }

    extension(DarknetReader)
    {
        /// <summary>Reads the cfg and weights files at these paths whole.</summary>
        public static (ShapedNetwork Shaped, WeightedNetwork Weighted) Read(string cfgPath, string weightsPath, int? width = null, int? height = null, WarningLog? warnings = null) =>
            DarknetReader.Read(InputFiles.Open(cfgPath), InputFiles.Open(weightsPath), width, height, warnings);
    }
}
