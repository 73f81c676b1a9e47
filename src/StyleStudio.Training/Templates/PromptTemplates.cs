namespace StyleStudio.Training.Templates;

/// <summary>
/// The built-in templates, written to produce exactly the strings LLaMA-Factory's templates of the same names produce,
/// so adapters trained there or here see the prompts they were trained on.
/// </summary>
public static class PromptTemplates
{
    public static readonly PromptTemplate Alpaca = new("alpaca", "", "{system}\n\n",
        "### Instruction:\n{query}\n\n### Response:\n", "", "{eos}\n\n",
        DefaultSystem: "Below is an instruction that describes a task. Write a response that appropriately completes the request.");

    public static readonly PromptTemplate Default = new("default", "", "System: {system}{eos}\n",
        "Human: {query}{eos}\nAssistant:", "", "{eos}\n");

    public static readonly PromptTemplate Qwen = new("qwen", "", "<|im_start|>system\n{system}<|im_end|>\n",
        "<|im_start|>user\n{query}<|im_end|>\n<|im_start|>assistant\n", "", "<|im_end|>\n",
        DefaultSystem: "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");

    public static readonly PromptTemplate Qwen3 = new("qwen3", "", "<|im_start|>system\n{system}<|im_end|>\n",
        "<|im_start|>user\n{query}<|im_end|>\n<|im_start|>assistant\n", "<think>\n\n</think>\n\n", "<|im_end|>\n");

    public static readonly PromptTemplate Llama3 = new("llama3", "<|begin_of_text|>",
        "<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>",
        "<|start_header_id|>user<|end_header_id|>\n\n{query}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", "",
        "<|eot_id|>");

    public static readonly PromptTemplate Mistral = new("mistral", "<s>", "", "[INST] {system_inline}{query}[/INST]", "", "</s>");

    /// <summary>GLM-4 (glm-4-9b-chat, GLM-4-0414): the answer opens with a newline the model learns, and only the last
    /// answer is closed by EOS (efficient_eos).</summary>
    public static readonly PromptTemplate Glm4 = new("glm4", "[gMASK]<sop>", "<|system|>\n{system}", "<|user|>\n{query}<|assistant|>", "",
        "{eos}", AnswerOpening: "\n", EfficientEos: true, StopWords: ["<|user|>", "<|observation|>"]);

    public static IReadOnlyList<PromptTemplate> All { get; } = [Alpaca, Default, Qwen, Qwen3, Llama3, Mistral, Glm4];

    public static PromptTemplate Get(string name) =>
        All.FirstOrDefault(t => t.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown template '{name}'; available: {string.Join(", ", All.Select(t => t.Name))}", nameof(name));
}
