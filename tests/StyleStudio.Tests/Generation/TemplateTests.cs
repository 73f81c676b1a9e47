using StyleStudio.Training.Templates;

namespace StyleStudio.Tests.Generation;

/// <summary>Rendered prompts equal LLaMA-Factory's template output (strings from its source, shared/notes/anchors.md).</summary>
public class TemplateTests
{
    [Fact]
    public void Renders_each_template_like_llama_factory()
    {
        Assert.Equal("Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nQ\n\n### Response:\n",
            PromptTemplates.Alpaca.RenderPrompt("Q", null, "</s>"));
        Assert.Equal("Human: Q</s>\nAssistant:", PromptTemplates.Default.RenderPrompt("Q", null, "</s>"));
        Assert.Equal("System: S</s>\nHuman: Q</s>\nAssistant:", PromptTemplates.Default.RenderPrompt("Q", "S", "</s>"));
        Assert.Equal("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
            PromptTemplates.Qwen.RenderPrompt("Q", null, "<|im_end|>"));
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            PromptTemplates.Qwen3.RenderPrompt("Q", null, "<|im_end|>"));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            PromptTemplates.Llama3.RenderPrompt("Q", "S", "<|eot_id|>"));
        Assert.Equal("<s>[INST] S\n\nQ[/INST]", PromptTemplates.Mistral.RenderPrompt("Q", "S", "</s>"));
        Assert.Equal("[gMASK]<sop><|system|>\nS<|user|>\nQ<|assistant|>", PromptTemplates.Glm4.RenderPrompt("Q", "S", "<|endoftext|>"));
    }

    /// <summary>A GLM-4 chat prompt ends with the answer's opening newline, and stops at the template's stop words too.</summary>
    [Fact]
    public void Glm4_generation_prompt_opens_the_answer_and_stops_at_its_stop_words()
    {
        var tokenizer = StyleStudio.Training.Tokenization.TextTokenizer.Load(StyleStudio.Tests.Support.Fixtures.Model("glm4"));
        var prompt = StyleStudio.Training.Generation.TemplatedPrompt.Create(tokenizer, [0], PromptTemplates.Glm4,
            [new("user", "Q1"), new("assistant", "A1"), new("user", "Q2")]);
        Assert.Equal("[gMASK]<sop><|user|>\nQ1<|assistant|>\nA1<|user|>\nQ2<|assistant|>\n", tokenizer.Decode(prompt.Ids));
        Assert.Equal([0, tokenizer.TokenId("<|user|>")!.Value, tokenizer.TokenId("<|observation|>")!.Value], prompt.StopIds.Order());
    }

    [Fact]
    public void End_of_turn_is_the_token_the_answer_ends_with()
    {
        Assert.Equal("<|im_end|>", PromptTemplates.Qwen.EndOfTurn("<|endoftext|>"));
        Assert.Equal("<|eot_id|>", PromptTemplates.Llama3.EndOfTurn("<|end_of_text|>"));
        Assert.Equal("</s>", PromptTemplates.Alpaca.EndOfTurn("</s>"));
        Assert.Throws<ArgumentException>(() => PromptTemplates.Get("chatml"));
    }
}
