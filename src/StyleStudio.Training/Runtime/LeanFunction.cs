using System.Collections;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Runtime;

/// <summary>
/// Applies a TorchSharp custom autograd function without the spare copy of its output that TorchSharp keeps. For each
/// output, TorchSharp 0.107's node allocates <c>empty_like(output)</c> and holds it until the node dies, only to shape
/// zeros should the output's gradient be undefined. For a checkpointed layer that is a second copy of every layer's
/// output on the device for the whole forward — at 64k tokens of Qwen2.5-7B, 12.5 GB. Our functions return one output
/// that always receives a gradient, so the copy is released right after the node is built. The node type's fields are
/// reached by reflection; where they are not found (another TorchSharp), nothing is released and everything still works.
/// </summary>
static class LeanFunction
{
    static readonly (IList? Nodes, Type? NodeOf) Internals = Find();

    static (IList?, Type?) Find()
    {
        var nodeBase = typeof(autograd).GetNestedType("Node", BindingFlags.NonPublic);
        var nodes = nodeBase?.GetField("AliveNodes", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null) as IList;
        var nodeOf = typeof(autograd).GetNestedType("Node`1", BindingFlags.NonPublic);
        return (nodes, nodeOf);
    }

    /// <summary>Whether the spare outputs can be released with this TorchSharp.</summary>
    public static bool Supported => Internals.Nodes is not null && Internals.NodeOf is not null;

    /// <summary><c>T.apply(vars)</c>, then its node's spare output copy released.</summary>
    public static Tensor Apply<T>(params object[] vars) where T : autograd.SingleTensorFunction<T>, new()
    {
        var output = autograd.SingleTensorFunction<T>.apply(vars);
        ReleaseSpareOutputs<T>();
        return output;
    }

    static readonly Dictionary<Type, FieldInfo?> CacheFields = [];

    /// <summary>Disposes the spare outputs of every live node of function <typeparamref name="T"/> (at most one has any: the newest).</summary>
    static void ReleaseSpareOutputs<T>() where T : autograd.SingleTensorFunction<T>, new()
    {
        var (nodes, nodeOf) = Internals;
        if (nodes is null || nodeOf is null) return;
        var nodeType = nodeOf.MakeGenericType(typeof(T));
        FieldInfo? field;
        lock (CacheFields)
            if (!CacheFields.TryGetValue(nodeType, out field))
                CacheFields[nodeType] = field = nodeType.GetField("_outputCache", BindingFlags.NonPublic | BindingFlags.Instance);
        if (field is null) return;
        lock (nodes)   // TorchSharp locks this list when it adds or removes nodes
        {
            for (int i = nodes.Count - 1; i >= 0; i--)
            {
                if (nodes[i]?.GetType() != nodeType || field.GetValue(nodes[i]) is not List<Tensor> spare) continue;
                for (int j = 0; j < spare.Count; j++)
                {
                    spare[j]?.Dispose();
                    spare[j] = null!;
                }
            }
        }
    }
}
