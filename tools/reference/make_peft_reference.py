"""PEFT reference fixtures for StyleStudio's adapters: one forward/backward of LoRA, rsLoRA and DoRA on a tiny checkpoint.

Run on the GPU box (CPU, fp32):  python3 tools/reference/make_peft_reference.py MODEL_DIR OUT_DIR
For each variant writes OUT_DIR/<variant>/:
  adapter_config.json, adapter_model.safetensors   what PEFT saves (nonzero lora_B: init_lora_weights=False)
  reference.safetensors   logits [B, T, V] with the adapter, merged_logits after merge_and_unload(), and grad.<name> for
                          every trainable tensor, named as in the saved adapter (no ".default")
  reference.json          input_ids, labels (-100 = masked), loss
"""
import json, os, sys

import peft
import torch
import transformers
from safetensors.torch import save_file

model_dir, out = sys.argv[1], sys.argv[2]
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
VARIANTS = {"lora": {}, "rslora": {"use_rslora": True}, "dora": {"use_dora": True}}
ids = torch.tensor([[5, 17, 300, 42, 99, 7, 8, 9, 400, 401, 402, 12], [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]])
labels = ids.clone()
labels[0, :5] = -100  # the "prompt" part of each row is masked, as in supervised fine-tuning
labels[1, :3] = -100
print("peft", peft.__version__, "transformers", transformers.__version__)

for variant, extra in VARIANTS.items():
    torch.manual_seed(3)
    base = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    config = peft.LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS, init_lora_weights=False,
                             task_type="CAUSAL_LM", **extra)
    model = peft.get_peft_model(base, config)
    result = model(input_ids=ids, labels=labels)
    result.loss.backward()
    folder = os.path.join(out, variant)
    model.save_pretrained(folder)
    tensors = {"logits": result.logits.detach().contiguous()}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            tensors["grad." + name.replace(".default", "")] = parameter.grad.detach().contiguous()
    with torch.no_grad():
        tensors["merged_logits"] = model.merge_and_unload()(ids).logits.contiguous()
    save_file(tensors, os.path.join(folder, "reference.safetensors"))
    json.dump({"input_ids": ids.tolist(), "labels": labels.tolist(), "loss": result.loss.item()},
              open(os.path.join(folder, "reference.json"), "w"))
    print(variant, "loss", result.loss.item(), "trainable", sum(k.startswith("grad.") for k in tensors))
