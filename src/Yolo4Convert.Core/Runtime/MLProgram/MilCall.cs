using System.Globalization;
using CoreML.Specification.MILSpec;
using Yolo4Convert.Diagnostics;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>
/// One operation of a program with its arguments resolved: while shapes are inferred, dynamic inputs carry dims
/// only and constants their values; during a run every input has its elements. Parameter errors fail as a
/// <see cref="ModelFormatException"/> naming the operation (or, in a run, as an internal error: it was checked).
/// </summary>
internal sealed class MilCall(Operation op, int index, Func<Argument.Types.Binding, MilValue> resolve, SourceLocation? where, int[]? outputDims = null)
{
    /// <summary>The operation.</summary>
    public Operation Op { get; } = op;

    /// <summary>The output dims inferred at load (in a run).</summary>
    public int[] OutputDims => outputDims ?? throw new InvalidOperationException("output dims are known in a run only");

    /// <summary>The op's name, for messages.</summary>
    public string Name => Op.Outputs.Count > 0 ? Op.Outputs[0].Name : Op.Type;

    /// <summary>Whether the parameter is bound.</summary>
    public bool Has(string param) => Op.Inputs.TryGetValue(param, out var a) && a.Arguments.Count > 0;

    /// <summary>A required single-valued parameter.</summary>
    public MilValue Input(string param) => Optional(param) ?? throw Bad($"has no '{param}' input");

    /// <summary>A single-valued parameter, or null when it is not bound.</summary>
    public MilValue? Optional(string param)
    {
        if (!Op.Inputs.TryGetValue(param, out var a) || a.Arguments.Count == 0)
        {
            return null;
        }

        return a.Arguments.Count == 1 ? resolve(a.Arguments[0]) : throw Bad($"binds {a.Arguments.Count} values to '{param}'; expected one");
    }

    /// <summary>A variadic parameter (concat's values).</summary>
    public IReadOnlyList<MilValue> Variadic(string param) =>
        Op.Inputs.TryGetValue(param, out var a) && a.Arguments.Count > 0 ? [.. a.Arguments.Select(resolve)] : throw Bad($"has no '{param}' input");

    /// <summary>A float tensor input (fp16 or fp32).</summary>
    public MilValue Tensor(string param)
    {
        var v = Input(param);
        return MilShapes.IsFloat(v.Type) ? v : throw Bad($"gives '{param}' as {v.Type}; expected an fp16 or fp32 tensor");
    }

    /// <summary>A constant parameter's elements as integers, or <paramref name="fallback"/> when unbound.</summary>
    public int[] Ints(string param, int[]? fallback = null)
    {
        var v = Optional(param);
        if (v is null)
        {
            return fallback ?? throw Bad($"has no '{param}' input");
        }

        var data = Const(v, param);
        return data.Any(x => x != MathF.Round(x) || Math.Abs(x) > int.MaxValue) ? throw Bad($"gives '{param}' non-integer values") : [.. data.Select(x => (int)x)];
    }

    /// <summary>A constant integer scalar (or one-element tensor).</summary>
    public int Int(string param, int? fallback = null)
    {
        var v = Ints(param, fallback is { } f ? [f] : null);
        return v.Length == 1 ? v[0] : throw Bad($"gives '{param}' {v.Length} values; expected one");
    }

    /// <summary>A constant float scalar.</summary>
    public float Float(string param, float? fallback = null)
    {
        var v = Optional(param);
        if (v is null)
        {
            return fallback ?? throw Bad($"has no '{param}' input");
        }

        var data = Const(v, param);
        return data.Length == 1 ? data[0] : throw Bad($"gives '{param}' {data.Length} values; expected one");
    }

    /// <summary>A constant boolean scalar.</summary>
    public bool Bool(string param, bool fallback) => Optional(param) is { } v ? Const(v, param) is [var b] ? b != 0 : throw Bad($"gives '{param}' several values; expected one") : fallback;

    /// <summary>A constant boolean per axis.</summary>
    public bool[] Bools(string param, int rank)
    {
        if (Optional(param) is not { } v)
        {
            return new bool[rank];
        }

        var data = Const(v, param);
        return data.Length == rank ? [.. data.Select(b => b != 0)] : throw Bad($"gives '{param}' {data.Length} values; expected {rank}");
    }

    /// <summary>A constant string scalar.</summary>
    public string Text(string param, string? fallback = null)
    {
        var v = Optional(param);
        if (v is null)
        {
            return fallback ?? throw Bad($"has no '{param}' input");
        }

        return v.Strings is [var s] ? s : throw Bad($"gives '{param}' as {v.Type} {v.ShapeText}; expected a constant string");
    }

    /// <summary>An axis in [-rank, rank) made non-negative.</summary>
    public int Axis(int axis, int rank, string param) =>
        axis >= -rank && axis < rank ? (axis + rank) % rank : throw Bad($"has {param}={axis.ToString(CultureInfo.InvariantCulture)} for a rank-{rank} tensor");

    /// <summary>The exception for a rule the operation breaks; callers throw it.</summary>
    public Exception Bad(string what) => where is null
        ? new InvalidOperationException($"ML Program operation '{Name}' ({Op.Type}) {what}, but it was checked before the run.")
        : new ModelFormatException($"ML Program operation {index} '{Echo.Of(Name)}' ({Echo.Of(Op.Type)}) {what}.", where,
            "the package is damaged or not one written by yolo4convert or coremltools; convert the model again.");

    private float[] Const(MilValue v, string param) => v.Data ?? throw Bad($"binds '{param}' to a value computed at run time; expected a constant");
}

/// <summary>
/// One ML Program op kind: its shape rule with every parameter check (run at load, before anything runs) and its
/// evaluation in float32 over row-major tensors. Instances are stateless and shared.
/// </summary>
internal interface IMilOp
{
    /// <summary>The op type names this class runs.</summary>
    IEnumerable<string> Types { get; }

    /// <summary>The output dims for the call's inputs; a malformed call fails through <see cref="MilCall.Bad"/>.</summary>
    int[] Infer(MilCall call);

    /// <summary>The output elements (of <see cref="MilCall.OutputDims"/>), computed in float32.</summary>
    float[] Run(MilCall call, MilRunContext context);
}
