using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Generation;

/// <summary>
/// One loaded model decoding for many threads at once, as the studio does for concurrent requests, while the garbage
/// collector runs: every generation must equal the same generation run alone. Two faults were caught here — TorchScript
/// arguments passed as temporary native scalars that a collection could free mid-call (the intermittent
/// <c>c10::Scalar::toLong()</c> failure), and rotary tables freed and regrown by one thread while another read them.
/// </summary>
public class ConcurrentGenerationTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static PretrainedModel Load() =>
        PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));

    /// <summary>Prompts of mixed lengths; the longest run past the model's 512 positions so the rotary tables grow.</summary>
    static readonly int[][] Prompts = Enumerable.Range(0, 8)
        .Select(i => Enumerable.Range(0, 3 + 37 * i).Select(t => (t * 31 + i * 7) % 500 + 5).ToArray())
        .Append(Enumerable.Range(0, 500).Select(t => t % 500 + 5).ToArray())
        .ToArray();

    static List<int> Greedy(PretrainedModel model, int[] prompt) =>
        TokenGenerator.Generate(model.Network, [prompt],
                new SamplingOptions { Temperature = 0, MaxNewTokens = 24, MinNewTokens = 24 }, [], Cancel)
            .Select(step => (int)step[0]).ToList();

    [Fact]
    public async Task Concurrent_mixed_length_generations_on_one_model_equal_each_run_alone_while_collections_run()
    {
        List<int>[] expected;
        using (var reference = Load()) expected = Prompts.Select(p => Greedy(reference, p)).ToArray();

        // A fresh model each round: the first lookups of its rotary tables race too.
        for (int round = 0; round < 3; round++)
        {
            using var model = Load();
            using var stop = new CancellationTokenSource();
            var collector = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }, Cancel);
            var outputs = new List<int>[Prompts.Length * 3];
            Parallel.For(0, outputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 6, CancellationToken = Cancel },
                i => outputs[i] = Greedy(model, Prompts[i % Prompts.Length]));
            stop.Cancel();
            await collector;
            for (int i = 0; i < outputs.Length; i++) Assert.Equal(expected[i % Prompts.Length], outputs[i]);
        }
    }
}
