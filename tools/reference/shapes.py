"""Real model shapes for benchmarks on random weights (mirrors benchmarks/StyleStudio.Benchmarks/ModelShapes.cs)."""
import transformers

SHAPES = {
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, tie_word_embeddings=True),
    "qwen2.5-7b": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                       num_key_value_heads=4, tie_word_embeddings=False),
}


def qwen2_config(shape):
    return transformers.AutoConfig.for_model("qwen2", vocab_size=151936, max_position_embeddings=32768, rms_norm_eps=1e-6,
                                             rope_theta=1000000.0, **SHAPES[shape])


def peft_lora_model(config, rank, checkpointing):
    """transformers' model of `config` in bf16 with random weights made on the GPU (a 7B init on the CPU takes minutes),
    PEFT LoRA of `rank` on every linear layer with fp32 adapters, and gradient checkpointing as LLaMA-Factory enables it
    (reentrant, inputs made to require grad)."""
    import peft
    import torch
    with torch.device("cuda"):
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa")
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
        model.enable_input_require_grads()
    model = peft.get_peft_model(model, peft.LoraConfig(r=rank, lora_alpha=2 * rank, target_modules="all-linear",
                                                       task_type="CAUSAL_LM"))
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    return model
