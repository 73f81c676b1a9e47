"""Serving reference fixtures: three real PEFT adapters of the tiny Qwen2 checkpoint and the greedy tokens PEFT generates
with each of them, with the base alone, and in one mixed-adapter batch.

Run on the GPU box (CPU, fp32):  python3 tools/reference/make_serving_reference.py MODEL_DIR OUT_DIR
Writes:
  OUT_DIR/<adapter>/adapter_config.json, adapter_model.safetensors   what save_pretrained writes (its README.md model card is
      dropped); base_model_name_or_path is rewritten to "Qwen/qwen2", a hub-style id whose last component is the base folder
  OUT_DIR/reference.json   prompts as StyleStudio's `qwen` template renders them, their ids, the stop ids, and the generated ids
The adapters use init_lora_weights=False (random nonzero lora_B) so that each changes the greedy output; if one still does
not, its lora_B is scaled up before saving (the factor is recorded).
"""
import json, os, shutil, sys

import peft
import tokenizers
import torch
import transformers

model_dir, out = sys.argv[1], sys.argv[2]
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
ADAPTERS = {  # name: (seed, LoraConfig arguments)
    "lora-r4": (1, {"r": 4, "lora_alpha": 8}),
    "lora-r8": (2, {"r": 8, "lora_alpha": 16}),
    "dora-r4": (3, {"r": 4, "lora_alpha": 8, "use_dora": True}),
}
HUB_BASE_ID = "Qwen/qwen2"
MAX_NEW_TOKENS = 24
MESSAGES = [
    "Write a haiku about autumn leaves.",
    "What is the capital of France?",
    "Summarize: the cat sat on the mat and would not move.",
    "Décris un café à Paris, s'il te plaît.",
]
# StyleStudio's PromptTemplates.Qwen rendered by PromptTemplate.RenderPrompt with no system message given (so its default
# system message), no prefix and no answer prefix.
QWEN_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
END_OF_TURN = "<|im_end|>"


def render_qwen(message):
    return (f"<|im_start|>system\n{QWEN_DEFAULT_SYSTEM}<|im_end|>\n"
            f"<|im_start|>user\n{message}<|im_end|>\n<|im_start|>assistant\n")


torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
print("torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__, flush=True)

tokenizer = tokenizers.Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
prompts = [render_qwen(m) for m in MESSAGES]
# TemplatedPrompt encodes with TextTokenizer.Encode(text), whose addSpecialTokens defaults to false.
prompt_ids = [tokenizer.encode(p, add_special_tokens=False).ids for p in prompts]


def load_base():
    return transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32,
                                                             attn_implementation="eager").eval()


base_probe = load_base()
# Stop ids as TemplatedPrompt builds them: the model's eos ids, then the template's end-of-turn token if not among them.
eos = []
for source in (base_probe.config.eos_token_id, base_probe.generation_config.eos_token_id):
    for i in (source if isinstance(source, list) else [source]):
        if i is not None and i not in eos:
            eos.append(i)
stop_ids = list(eos)
end_of_turn_id = tokenizer.token_to_id(END_OF_TURN)
if end_of_turn_id is not None and end_of_turn_id not in stop_ids:
    stop_ids.append(end_of_turn_id)
pad_id = base_probe.config.pad_token_id if base_probe.config.pad_token_id is not None else 0


def cut(ids):
    """Generated ids up to, not including, the first stop id; and whether a stop id was reached."""
    for k, t in enumerate(ids):
        if t in stop_ids:
            return ids[:k], True
    return ids, False


def generate(model, batch, **extra):
    """Greedy ids for a batch of prompts (left padded, with an attention mask), each cut at its first stop id."""
    width = max(len(p) for p in batch)
    input_ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in batch])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in batch])
    with torch.no_grad():
        result = model.generate(input_ids=input_ids, attention_mask=mask, do_sample=False, max_new_tokens=MAX_NEW_TOKENS,
                                eos_token_id=stop_ids, pad_token_id=pad_id, output_scores=True,
                                return_dict_in_generate=True, **extra)
    rows = []
    for b in range(len(batch)):
        ids, stopped = cut(result.sequences[b, width:].tolist())
        # Smallest gap between the best and second-best logit over the kept steps: how robust the greedy choice is.
        gaps = [(lambda top: (top[0] - top[1]).item())(torch.topk(result.scores[s][b], 2).values) for s in range(len(ids))]
        rows.append({"ids": ids, "stopped": stopped, "min_top2_gap": min(gaps) if gaps else None})
    return rows


def generate_each(model):
    return [generate(model, [p])[0] for p in prompt_ids]


base_rows = generate_each(base_probe)

# Create and save the adapters.
scales = {}
for name, (seed, arguments) in ADAPTERS.items():
    torch.manual_seed(seed)
    config = peft.LoraConfig(target_modules=TARGETS, lora_dropout=0.0, init_lora_weights=False, task_type="CAUSAL_LM",
                             **arguments)
    model = peft.get_peft_model(load_base(), config).eval()
    scale = 1.0
    while [r["ids"] for r in generate_each(model)] == [r["ids"] for r in base_rows]:
        if scale >= 64:
            sys.exit(f"{name}: output equals the base's even with lora_B scaled by {scale}")
        with torch.no_grad():
            for module_name, parameter in model.named_parameters():
                if ".lora_B." in module_name:
                    parameter.mul_(4.0)
        scale *= 4.0
    scales[name] = scale
    folder = os.path.join(out, name)
    model.save_pretrained(folder)
    if os.path.exists(os.path.join(folder, "README.md")):
        os.remove(os.path.join(folder, "README.md"))
    config_path = os.path.join(folder, "adapter_config.json")
    saved = json.load(open(config_path))
    saved["base_model_name_or_path"] = HUB_BASE_ID
    json.dump(saved, open(config_path, "w"), indent=2, sort_keys=True)
    print(name, "saved; lora_B scale", scale, sorted(os.listdir(folder)), flush=True)

# Reload every adapter from its folder onto one base, as a server would, and generate with each.
names = list(ADAPTERS)
served = peft.PeftModel.from_pretrained(load_base(), os.path.join(out, names[0]), adapter_name=names[0]).eval()
for name in names[1:]:
    served.load_adapter(os.path.join(out, name), adapter_name=name)

outputs = {}
with served.disable_adapter():
    outputs["base"] = generate_each(served)
for name in names:
    served.set_adapter(name)
    outputs[name] = generate_each(served)
    same = sum(a["ids"] == b["ids"] for a, b in zip(outputs[name], outputs["base"]))
    print(name, "prompts with output equal to the base's:", same, "of", len(prompt_ids), flush=True)
assert [r["ids"] for r in outputs["base"]] == [r["ids"] for r in base_rows], "disabled adapters must give the plain base"

def batched(row_adapters, adapter_names=None):
    """All prompts in one left-padded batch, compared row by row with the unbatched outputs of row_adapters; with
    adapter_names, PEFT applies a different adapter per row ("__base__" = none)."""
    rows = generate(served, prompt_ids, **({"adapter_names": adapter_names} if adapter_names else {}))
    unbatched = [outputs["base" if a == "__base__" else a][k]["ids"] for k, a in enumerate(row_adapters)]
    return {"outputs": rows, "equals_unbatched": [r["ids"] == u for r, u in zip(rows, unbatched)]}


# The same prompts in one padded batch per adapter: shows what left padding alone does to the greedy tokens.
padded = {}
with served.disable_adapter():
    padded["base"] = batched(["base"] * len(prompt_ids))
for name in names:
    served.set_adapter(name)
    padded[name] = batched([name] * len(prompt_ids))

# One batch, a different adapter per row (PEFT's adapter_names). PEFT refuses it when a named adapter uses DoRA, so that
# refusal is recorded and the mixed batch is made of the base and the two LoRA adapters.
mixed = {"padding": "left", "pad_id": pad_id}
try:
    mixed.update(adapter_names=["__base__"] + names, **batched(["__base__"] + names, ["__base__"] + names))
except ValueError as error:
    mixed["dora_refused"] = {"adapter_names": ["__base__"] + names, "error": str(error)}
    lora_mix = ["__base__", "lora-r4", "lora-r8", "lora-r4"]
    try:
        mixed.update(adapter_names=lora_mix, **batched(lora_mix, lora_mix))
    except ValueError:  # in case PEFT checks every loaded adapter, not only the named ones
        served.set_adapter("lora-r4")
        served.delete_adapter("dora-r4")
        mixed.update(adapter_names=lora_mix, dora_deleted_first=True, **batched(lora_mix, lora_mix))
print("padded equal to unbatched:", {k: v["equals_unbatched"] for k, v in padded.items()}, flush=True)
print("mixed batch:", {k: v for k, v in mixed.items() if k != "outputs"}, flush=True)

reference = {
    "about": "Greedy generation with real PEFT on the fixture base tests/StyleStudio.Tests/Fixtures/models/qwen2, fp32 on CPU, "
             "made by tools/reference/make_serving_reference.py.",
    "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                 "tokenizers": tokenizers.__version__},
    "base": "qwen2",
    "template": "qwen",
    "system": None,
    "max_new_tokens": MAX_NEW_TOKENS,
    "eos_ids": eos,
    "stop_ids": stop_ids,
    "cut": "generation stops at the first id in stop_ids (HF generate with eos_token_id=stop_ids); 'ids' holds the tokens "
           "before it, without it; 'stopped' says whether a stop id was reached (false: max_new_tokens ran out); "
           "'min_top2_gap' is the smallest best-minus-second logit over the kept steps",
    "adapters": {name: {"folder": name, "lora_B_scale": scales[name], **arguments} for name, (_, arguments) in ADAPTERS.items()},
    "messages": MESSAGES,
    "prompts": prompts,
    "prompt_ids": prompt_ids,
    "unbatched": "outputs: each prompt generated alone (batch of one, no padding); padded_batches and mixed_batch: all "
                 "prompts in one left-padded batch with an attention mask, equals_unbatched comparing each row with outputs",
    "outputs": outputs,
    "padded_batches": padded,
    "mixed_batch": mixed,
}
json.dump(reference, open(os.path.join(out, "reference.json"), "w"), indent=1, ensure_ascii=False)
print("wrote", os.path.join(out, "reference.json"), flush=True)
