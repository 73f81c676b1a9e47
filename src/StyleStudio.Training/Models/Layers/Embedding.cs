using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>Token embedding table (<c>embed_tokens.weight</c>, [vocab, hidden]); lookups by row.</summary>
public sealed class Embedding : nn.Module<Tensor, Tensor>
{
    public Parameter Weight { get; }

    public Embedding(long vocabSize, long hiddenSize, ScalarType dtype, Device device) : base(nameof(Embedding))
    {
        Weight = new Parameter(empty([vocabSize, hiddenSize], dtype, device), requires_grad: false);
        register_parameter("weight", Weight);
    }

    /// <param name="ids">[B, T] int64.</param>
    /// <returns>[B, T, hidden].</returns>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var rows = Weight.index_select(0, ids.reshape(-1));
        return rows.view(ids.shape[0], ids.shape[1], -1).MoveToOuterDisposeScope();
    }
}
