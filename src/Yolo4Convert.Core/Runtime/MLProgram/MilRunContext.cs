using System.Collections.Concurrent;
using CoreML.Specification.MILSpec;
using Yolo4Convert.Runtime.Ops;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>What one run hands to the ops: whether it emulates half precision, and the model's packed convolution kernels.</summary>
internal sealed class MilRunContext(bool half, ConcurrentDictionary<(Operation, bool), ConvKernel> kernels)
{
    /// <summary>Whether every value is rounded to half (the half-precision emulation).</summary>
    public bool Half { get; } = half;

    /// <summary>The packed kernel of a conv for this run's precision, made once per model.</summary>
    public ConvKernel KernelOf(Operation op, Func<ConvKernel> make) => kernels.GetOrAdd((op, Half), _ => make());
}
