using StyleStudio.Tests.Support;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Tests.Sft;

public class ExampleEncoderTests
{
    static readonly TextTokenizer Tokenizer = TextTokenizer.Load(Fixtures.Model("qwen2"));

    static string Trained(EncodedExample e) =>
        Tokenizer.Decode(e.InputIds.Where((_, i) => e.Labels[i] != CausalLmLoss.Ignore));

    [Fact]
    public void Prompt_is_masked_and_the_answer_with_its_end_of_turn_is_learned()
    {
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, Tokenizer);
        var example = encoder.Encode(new Conversation([new Turn("改写：今天天气很好", "今日天朗气清")]));
        Assert.Equal("今日天朗气清<|im_end|>\n", Trained(example));
        Assert.Equal(PromptTemplates.Qwen.RenderPrompt("改写：今天天气很好", null, "<|im_end|>") + "今日天朗气清<|im_end|>\n",
            Tokenizer.Decode(example.InputIds));
        Assert.Equal(example.InputIds.Length, example.Labels.Length);
    }

    [Fact]
    public void Every_assistant_turn_is_learned_and_train_on_prompt_learns_everything()
    {
        var conversation = new Conversation([new Turn("hi", "hello"), new Turn("again", "bye")], System: "be brief");
        var example = new ExampleEncoder(PromptTemplates.Qwen3, Tokenizer).Encode(conversation);
        Assert.Equal("hello<|im_end|>\nbye<|im_end|>\n", Trained(example));
        Assert.Contains("<|im_start|>user\nagain<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", Tokenizer.Decode(example.InputIds));

        var all = new ExampleEncoder(PromptTemplates.Qwen3, Tokenizer, trainOnPrompt: true).Encode(conversation);
        Assert.All(all.Labels, l => Assert.NotEqual(CausalLmLoss.Ignore, l));
    }

    /// <summary>
    /// LLaMA-Factory's glm4 template: [gMASK]&lt;sop&gt; and each turn's prompt masked; each answer learned with the newline
    /// that opens it; only the last answer closed by EOS (efficient_eos) — earlier ones run straight into the next turn.
    /// </summary>
    [Fact]
    public void Glm4_learns_each_answer_with_its_opening_and_eos_after_the_last_only()
    {
        var glm = TextTokenizer.Load(Fixtures.Model("glm4"));
        var conversation = new Conversation([new Turn("改写：你好", "君安否"), new Turn("再来", "善")], System: "古风");
        var example = new ExampleEncoder(PromptTemplates.Glm4, glm).Encode(conversation);
        Assert.Equal("[gMASK]<sop><|system|>\n古风<|user|>\n改写：你好<|assistant|>\n君安否<|user|>\n再来<|assistant|>\n善<|endoftext|>",
            glm.Decode(example.InputIds));
        Assert.Equal("\n君安否\n善<|endoftext|>", glm.Decode(example.InputIds.Where((_, i) => example.Labels[i] != CausalLmLoss.Ignore)));
    }

    [Theory]
    [InlineData(10, 3, 20, 10, 3)]   // a short answer stays whole
    [InlineData(5, 40, 20, 5, 15)]   // a short prompt stays whole, the answer takes the rest
    [InlineData(30, 30, 20, 10, 10)] // both long: shared in proportion
    [InlineData(30, 10, 20, 15, 5)]
    public void Cutoff_follows_llama_factory(int source, int target, int budget, int expectedSource, int expectedTarget)
    {
        Assert.Equal((expectedSource, expectedTarget), ExampleEncoder.Lengths(source, target, budget));
    }

    [Fact]
    public void Long_examples_are_cut_to_the_cutoff_keeping_answer_tokens()
    {
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, Tokenizer, cutoff: 24);
        var example = encoder.Encode(new Conversation([new Turn(string.Concat(Enumerable.Repeat("很长的问题", 20)), "短答")]));
        Assert.Equal(24, example.Length);
        Assert.True(example.TrainedTokens > 0);
    }
}
