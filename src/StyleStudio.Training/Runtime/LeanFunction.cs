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

    /// <summary>The node type of function <typeparamref name="T"/> and its spare-output field, looked up once per function.</summary>
    static class SpareOutputs<T> where T : autograd.SingleTensorFunction<T>, new()
    {
        public static readonly Type? NodeType = Internals.NodeOf?.MakeGenericType(typeof(T));
        public static readonly FieldInfo? Field = NodeType?.GetField("_outputCache", BindingFlags.NonPublic | BindingFlags.Instance);
    }

    /// <summary>
    /// Disposes the spare outputs of the newest node of function <typeparamref name="T"/> that still holds any — the one
    /// just applied (older ones were released when they were applied), so the search ends at the list's tail.
    /// </summary>
    static void ReleaseSpareOutputs<T>() where T : autograd.SingleTensorFunction<T>, new()
    {
        var nodes = Internals.Nodes;
        var (nodeType, field) = (SpareOutputs<T>.NodeType, SpareOutputs<T>.Field);
        if (nodes is null || nodeType is null || field is null) return;
        lock (nodes)   // TorchSharp locks this list when it adds or removes nodes
        {
            for (int i = nodes.Count - 1; i >= 0; i--)
            {
                if (nodes[i]?.GetType() != nodeType || field.GetValue(nodes[i]) is not List<Tensor> spare || spare.All(t => t is null)) continue;
                for (int j = 0; j < spare.Count; j++)
                {
                    spare[j]?.Dispose();
                    spare[j] = null!;
                }
                return;
            }
        }
    }
}
