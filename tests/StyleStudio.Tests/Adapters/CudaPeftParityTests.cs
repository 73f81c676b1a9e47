using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Adapters;

/// <summary>
/// PEFT's adapters (see <see cref="PeftParityTests"/>) on CUDA through the training path as a run takes it: the model in
/// training mode, so that our fused kernels run (SwiGLU, RMSNorm, rotary, the cross-entropy), the loss from the hidden
/// states, and once more with the forward and backward replayed from a CUDA graph — the loss and every adapter gradient
/// against what PEFT computed, within the CPU tests' tolerance.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CudaPeftParityTests
{
    public static TheoryData<string, string, bool> Variants => new()
    {
        { "qwen2", "lora", false }, { "qwen2", "dora", false }, { "glm4", "lora", false }, { "qwen2", "lora", true }, { "qwen2", "dora", true },
        { "glm4", "dora", true },
    };

    [Theory, MemberData(nameof(Variants))]
    public void The_training_path_gives_peft_loss_and_gradients(string name, string variant, bool replayed)
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        if (replayed && !CudaGraph.IsAvailable) Assert.Skip("CUDA graphs are not available on this machine");
        using var model = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cuda, ScalarType.Float32));
        PeftAdapter.Load(model.Network, PeftParityTests.AdapterFolder(name, variant));
        using var reference = PeftParityTests.LoadCase(name, variant);
        using var scope = NewDisposeScope();
        var network = model.Network;
        network.train();
        var ids = reference.Ids.cuda();
        var positions = arange(ids.shape[1], device: CUDA).expand(ids.shape[0], ids.shape[1]);
        // The positions that carry a loss, picked on the host as the trainer does (a capture allows no host reads); each
        // weighs 1 / their count, so the weighted sum is PEFT's mean loss.
        var shifted = cat([reference.Labels[.., 1..], full(ids.shape[0], 1, CausalLmLoss.Ignore, ScalarType.Int64)], 1).reshape(-1);
        var rows = shifted.ne(CausalLmLoss.Ignore).nonzero().squeeze(1);
        var targets = shifted.index_select(0, rows).cuda();
        var weights = full(rows.shape[0], 1.0 / rows.shape[0], ScalarType.Float32, CUDA);
        rows = rows.cuda();
        var loss = zeros([], ScalarType.Float32, CUDA);

        void Step()
        {
            using var inner = NewDisposeScope();
            var mean = HiddenStateLoss.Weighted(network.ForwardHidden(new ForwardInput(ids, positions)), network.OutputWeight, rows, targets, weights);
            mean.backward();
            loss.copy_(mean.detach());
        }

        if (replayed)
        {
            // A first step lets libraries set themselves up, on the capture stream as the trainer's warm-up runs (an eager
            // backward on the default stream leaves autograd state that invalidates a later capture); its gradients are
            // cleared, so the replay's are one step's.
            using var graph = CudaGraph.Capture(CUDA, Step, warmups: 0, prepare: () =>
            {
                Step();
                foreach (var p in network.parameters().Where(p => p.requires_grad)) p.grad!.zero_();
            });
            graph.Replay();
        }
        else Step();
        BackwardFailures.ThrowIfAny();

        Assert.Equal(reference.Loss, loss.item<float>(), 1e-5);
        var gradients = network.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.Equal(reference.Reference.Entries.Keys.Count(k => k.StartsWith("grad.")), gradients.Count);
        foreach (var (parameterName, parameter) in gradients)
        {
            string key = "grad." + PeftParityTests.KeyPrefix + parameterName + (parameterName.EndsWith("lora_magnitude_vector") ? ".weight" : "");
            var expected = reference.Read(key);
            double scale = expected.abs().max().item<float>();
            double error = (parameter.grad!.cpu() - expected).abs().max().item<float>();
            Assert.True(error <= 1e-4 * Math.Max(scale, 1e-3), $"{parameterName}: |Δgrad| {error:E2} at gradient scale {scale:E2}");
        }
    }
}
