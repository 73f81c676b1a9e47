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

/// <summary>
/// Micro-batches laid out for fixed shapes (what CUDA graphs replay): the learned positions are picked on the host, and
/// padding a micro-batch up to its bucket — rows, width, loss positions — changes neither its loss nor its gradients.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
public class MicroBatchTests
{
    static readonly Turn[] Pairs =
    [
        new("casual: Good morning, everyone.", "morning all!"),
        new("casual: Kindly reply at your earliest convenience.", "lmk when you can"),
        new("casual: I regret to inform you.", "bad news, sorry"),
        new("casual: The results exceeded expectations, and the team would like to thank every one of you.", "results were way better than expected, thanks all"),
    ];

    [Fact]
    public void Learned_positions_are_picked_on_the_host_and_padded_to_a_bucket()
    {
        var rows = new[]
        {
            new PackedRow([5, 6, 7, 8, 9], [-100, -100, 7, 8, 9], [1, 1, 1, 1, 1], [0, 1, 2, 3, 4]),
            new PackedRow([3, 4, 2], [-100, 4, 2], [1, 1, 1], [0, 1, 2]),
        };
        var exact = MicroBatch.Build(rows, padId: 0);
        Assert.Equal(new MicroBatchShape(Rows: 2, Width: 5, LossRows: 5, Packed: false), exact.Shape);
        // Position t predicts the label at t + 1: row 0 learns from positions 1..3, row 1 (offset 5) from 0..1.
        Assert.Equal([1L, 2, 3, 5, 6], exact.LossRows);
        Assert.Equal([7L, 8, 9, 4, 2], exact.LossTargets);
        Assert.Equal(rows.Sum(r => r.TrainedTokens), exact.TrainedTokens);
        Assert.Equal([3L, 4, 2, 0, 0], exact.InputIds[5..]);

        var bucketed = MicroBatch.Build(rows, padId: 0, bucketRows: 4);
        Assert.Equal(new MicroBatchShape(Rows: 4, Width: 64, LossRows: 64, Packed: false), bucketed.Shape);
        Assert.Equal([1L, 2, 3, 64, 65], bucketed.LossRows[..5]);
        Assert.Equal([1f, 1, 1, 1, 1, 0], bucketed.LossWeights[..6]);
        Assert.Equal(4 * 64, bucketed.InputIds.Length);
        Assert.Equal(5, bucketed.TrainedTokens);

        // Multiples of a quarter of the power of two below: 300 → 320 (256 / 4 = 64), 700 → 768 (512 / 4 = 128).
        Assert.Equal(320, new MicroBatchShape(1, 300, 300, false).Bucketed(1).Width);
        Assert.Equal(768, new MicroBatchShape(1, 700, 700, false).Bucketed(1).Width);
        Assert.Equal(512, new MicroBatchShape(1, 512, 4088, false).Bucketed(1).Width);
        Assert.Equal(4096, new MicroBatchShape(1, 512, 4088, false).Bucketed(1).LossRows);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_micro_batch_padded_to_its_bucket_gives_the_same_loss_and_gradients(bool packed)
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var adapters = LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8 }, seed: 9);
        using (no_grad())
            foreach (var adapter in adapters) adapter.LoraB.Weight.normal_(0, 0.05); // make the adapters matter
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, model.RequireTokenizer());
        var examples = Pairs.Select(p => encoder.Encode(new Conversation([p]))).ToList();
        var rows = packed ? Packer.Pack(examples, maxLength: examples.Max(e => e.Length) + examples.Min(e => e.Length)) : examples.Select(e => PackedRow.Of([e])).ToList();
        Assert.Equal(packed, rows.Any(r => r.Segments[^1] > 1));
        var parameters = model.Network.parameters().Where(p => p.requires_grad).ToList();
        model.Network.train();

        (double Loss, Tensor[] Grads) Run(MicroBatch batch)
        {
            foreach (var p in parameters) p.grad?.zero_();
            using var inputs = MicroBatchTensors.Upload(batch, model.Network.Device);
            var loss = HiddenStateLoss.Weighted(model.Network.ForwardHidden(inputs.ToForwardInput()), model.Network.OutputWeight,
                inputs.LossRows, inputs.LossTargets, inputs.LossWeights) / batch.TrainedTokens;
            loss.backward();
            return (loss.item<float>(), parameters.Select(p => p.grad!.clone()).ToArray());
        }

        var exact = MicroBatch.Build(rows, padId: 0);
        var bucketed = MicroBatch.Build(rows, padId: 0, bucketRows: rows.Count + 2);
        Assert.True(bucketed.Shape.Width > exact.Shape.Width && bucketed.Shape.LossRows > exact.Shape.LossRows);
        var expected = Run(exact);
        var actual = Run(bucketed);

        // The reference: the labels' loss over full logits, with the padding mask the generic forward builds.
        using (var batch = Batch.Collate(rows, 0, model.Network.Device))
        using (no_grad())
            Assert.Equal(CausalLmLoss.Sum(model.Network.Forward(batch.ToForwardInput()), batch.Labels).item<float>() / batch.TrainedTokens,
                expected.Loss, 1e-5);
        Assert.Equal(expected.Loss, actual.Loss, 1e-5);
        for (int i = 0; i < parameters.Count; i++)
            Assert.True((actual.Grads[i] - expected.Grads[i]).abs().max().item<float>() < 1e-5, $"gradient {i} differs");
        Assert.Contains(parameters, p => p.grad!.abs().max().item<float>() > 1e-3);
    }
}
