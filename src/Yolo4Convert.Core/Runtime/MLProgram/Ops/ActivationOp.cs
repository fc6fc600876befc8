namespace Yolo4Convert.Runtime.MLProgram.Ops;

/// <summary>MIL's parameterless element-wise ops: relu, sigmoid, tanh, softplus, exp, silu, abs, and identity.</summary>
internal sealed class ActivationOp : IMilOp
{
    private static readonly Dictionary<string, Func<float, float>> Functions = new(StringComparer.Ordinal)
    {
        ["relu"] = v => MathF.Max(v, 0f),
        ["sigmoid"] = v => 1f / (1f + MathF.Exp(-v)),
        ["tanh"] = MathF.Tanh,
        ["softplus"] = v => MathF.Max(v, 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(v))),
        ["exp"] = MathF.Exp,
        ["silu"] = v => v / (1f + MathF.Exp(-v)),
        ["identity"] = v => v,
        ["abs"] = MathF.Abs,
    };

    public IEnumerable<string> Types => Functions.Keys;

    public int[] Infer(MilCall call) => call.Tensor("x").Dims;

    public float[] Run(MilCall call, MilRunContext context)
    {
        var f = Functions[call.Op.Type];
        var x = call.Input("x").Data!;
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = f(x[i]);
        }

        return y;
    }
}

/// <summary>MIL's activations with an alpha: leaky_relu (x ≥ 0 ? x : α·x) and elu (x &gt; 0 ? x : α·(eˣ − 1)).</summary>
internal sealed class AlphaActivationOp : IMilOp
{
    public IEnumerable<string> Types => ["leaky_relu", "elu"];

    public int[] Infer(MilCall call)
    {
        _ = call.Float("alpha");
        return call.Tensor("x").Dims;
    }

    public float[] Run(MilCall call, MilRunContext context)
    {
        var alpha = call.Float("alpha");
        var x = call.Input("x").Data!;
        var y = new float[x.Length];
        if (call.Op.Type == "leaky_relu")
        {
            ActivationKernels.Leaky(x, y, alpha);
            return y;
        }

        for (var i = 0; i < x.Length; i++)
        {
            y[i] = x[i] > 0 ? x[i] : alpha * (MathF.Exp(x[i]) - 1f);
        }

        return y;
    }
}

/// <summary>MIL's cast between fp32 and fp16 (the interpreter rounds an fp16 output to half).</summary>
internal sealed class CastOp : IMilOp
{
    public IEnumerable<string> Types => ["cast"];

    public int[] Infer(MilCall call)
    {
        var dtype = call.Text("dtype");
        return dtype is "fp16" or "fp32" ? call.Tensor("x").Dims
            : throw new Diagnostics.UnsupportedFeatureException($"ML Program operation '{call.Name}' casts to '{Diagnostics.Echo.Of(dtype)}'; the runtime casts to fp16 and fp32 only.", null);
    }

    public float[] Run(MilCall call, MilRunContext context) => (float[])call.Input("x").Data!.Clone();
}
