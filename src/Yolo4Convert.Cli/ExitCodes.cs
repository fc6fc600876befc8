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

    /// <summary>Stopped by SIGINT (Ctrl-C): 128 + 2.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>Every exit code with what it means, in the order the help lists them.</summary>
    public static readonly IReadOnlyList<(int Code, string Meaning)> All =
    [
        (Ok, "ok"),
        (Usage, "usage"),
        (InvalidInput, "invalid input (cfg/weights/image)"),
        (Unsupported, "unsupported by the target"),
        (IO, "I/O error (e.g. a missing input file)"),
        (Internal, "internal error"),
        (Mismatch, "verify found a difference beyond the tolerance"),
        (Interrupted, "interrupted (Ctrl-C, SIGINT)"),
        (Terminated, "terminated (SIGTERM)"),
    ];
}
