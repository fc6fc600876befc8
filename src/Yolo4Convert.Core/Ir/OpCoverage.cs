using Yolo4Convert.Graph;

namespace Yolo4Convert.Ir;

/// <summary>
/// What a target's op table does with each IR op kind and each activation function: maps it, or refuses it with a
/// reason a user can read. Every target states it for every kind, so an op added to the IR without a decision in each
/// target fails a test instead of a conversion.
/// </summary>
public sealed record OpCoverage(
    string Target,
    IReadOnlySet<Type> MappedOps,
    IReadOnlyDictionary<Type, string> RefusedOps,
    IReadOnlyList<Activation> MappedActivations,
    IReadOnlyDictionary<Activation, string> RefusedActivations)
{
    /// <summary>The cfg names of the mapped activations, in the table's order (for messages and docs).</summary>
    public string MappedActivationNames => string.Join(", ", MappedActivations.Select(ActivationNames.Name));
}
