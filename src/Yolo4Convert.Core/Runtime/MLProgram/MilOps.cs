using Yolo4Convert.Runtime.MLProgram.Ops;

namespace Yolo4Convert.Runtime.MLProgram;

/// <summary>The ops the ML Program interpreter runs, by MIL type name.</summary>
internal static class MilOps
{
    private static readonly Dictionary<string, IMilOp> ByType = new IMilOp[]
    {
        new ElementwiseBinaryOp(), new ActivationOp(), new AlphaActivationOp(), new CastOp(), new ConvOp(), new PoolOp(),
        new ReduceMeanOp(), new ConcatOp(), new SliceByIndexOp(), new UpsampleNearestNeighborOp(), new ReshapeOp(),
        new TransposeOp(), new SpaceToDepthOp(), new SoftmaxOp(),
    }.SelectMany(op => op.Types.Select(t => KeyValuePair.Create(t, op))).ToDictionary(StringComparer.Ordinal);

    /// <summary>Every op type the runtime runs besides const (sorted), for messages.</summary>
    public static IEnumerable<string> Known => ByType.Keys.Order(StringComparer.Ordinal);

    /// <summary>The op of a type, or null.</summary>
    public static IMilOp? Of(string type) => ByType.GetValueOrDefault(type);
}
