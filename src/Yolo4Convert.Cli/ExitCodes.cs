namespace Yolo4Convert.Cli;

/// <summary>Process exit codes; documented in the README and in --help.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int InvalidInput = 2;
    public const int Unsupported = 3;
    public const int IO = 4;
    public const int Internal = 5;

    /// <summary>verify: the model computes something other than the reference.</summary>
    public const int Mismatch = 6;
}
