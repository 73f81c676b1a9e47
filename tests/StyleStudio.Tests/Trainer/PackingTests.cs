using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

[Collection(TorchGlobalRandom.Name)]
public class PackingTests
{
    static readonly Turn[] Pairs =
    [
        new("casual: Good morning, everyone.", "morning all!"),
        new("casual: Kindly reply at your earliest convenience.", "lmk when you can"),
        new("casual: I regret to inform you.", "bad news, sorry"),
        new("casual: The results exceeded expectations.", "results were way better than expected"),
    ];

    [Fact]
    public void A_packed_row_gives_the_same_loss_and_gradients_as_its_examples_alone()
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen3"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var adapters = LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8, UseDora = true }, seed: 9);
        using (no_grad())
            foreach (var adapter in adapters) adapter.LoraB.Weight.normal_(0, 0.05); // make the adapters matter
        var encoder = new ExampleEncoder(PromptTemplates.Qwen3, model.RequireTokenizer());
        var examples = Pairs.Select(p => encoder.Encode(new Conversation([p]))).ToList();
        var parameters = model.Network.parameters().Where(p => p.requires_grad).ToList();
        long pad = 0;

        (double Loss, Tensor[] Grads) Run(IReadOnlyList<PackedRow> rows)
        {
            foreach (var p in parameters) p.grad?.zero_();
            using var batch = Batch.Collate(rows, pad, model.Network.Device);
            var loss = CausalLmLoss.Sum(model.Network.Forward(batch.ToForwardInput()), batch.Labels) / batch.TrainedTokens;
            loss.backward();
            return (loss.item<float>(), parameters.Select(p => p.grad!.clone()).ToArray());
        }

        var packed = Packer.Pack(examples, maxLength: 1000);
        Assert.Single(packed);
        Assert.Equal(examples.Sum(e => e.TrainedTokens), packed[0].TrainedTokens);
        var together = Run(packed);
        var apart = Run(examples.Select(e => PackedRow.Of([e])).ToList());

        Assert.Equal(apart.Loss, together.Loss, 1e-5);
        for (int i = 0; i < parameters.Count; i++)
            Assert.True((together.Grads[i] - apart.Grads[i]).abs().max().item<float>() < 1e-5, $"gradient {i} differs");
    }

    [Fact]
    public void Packing_fills_rows_first_fit_and_removes_padding()
    {
        var lengths = new[] { 30, 12, 9, 25, 7, 14, 40, 5 };
        var examples = lengths.Select(n => new EncodedExample(new int[n], Enumerable.Repeat(1L, n).ToArray())).ToList();
        var rows = Packer.Pack(examples, maxLength: 48);
        Assert.All(rows, r => Assert.True(r.Length <= 48));
        Assert.Equal(lengths.Sum(), rows.Sum(r => r.Length));
        Assert.Equal(4, rows.Count); // first fit, longest first: 40+7, 30+14, 25+12+9, and 5 fits none of them
        Assert.True(Packer.PaddingShare(lengths, batchSize: 4) > 0.3);
        Assert.True(Packer.PaddingShare(rows.Select(r => r.Length), batchSize: 4) < Packer.PaddingShare(lengths, batchSize: 4));
    }
}
