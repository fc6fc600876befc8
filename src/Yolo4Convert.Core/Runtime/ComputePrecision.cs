namespace Yolo4Convert.Runtime;

/// <summary>The arithmetic the runtime imitates.</summary>
public enum ComputePrecision
{
    /// <summary>float32 throughout (Core ML on the CPU).</summary>
    Fp32,

    /// <summary>
    /// Half-precision storage, as the GPU and the Neural Engine run a model: the input, every weight and bias and
    /// every layer's output are rounded to the nearest half (overflow gives ±infinity); each layer still computes in
    /// float32 from those half values, so accumulation error inside a layer is not imitated.
    /// </summary>
    Fp16,
}
