"""Checks that what StyleStudio writes loads in Hugging Face libraries with the same numbers (run on the GPU box, CPU fp32).

    python3 tools/reference/check_interop.py FOLDER
FOLDER holds: base/ (a checkpoint), adapter/ (a PEFT adapter StyleStudio trained) with adapter_logits.safetensors (our
logits with that adapter on `ids`), merged/ (StyleStudio's merged checkpoint) with expected_logits.safetensors. Prints
the largest differences and exits non-zero if any exceeds 1e-4.
"""
import json, sys

import peft
import torch
import transformers
from safetensors.torch import load_file

folder = sys.argv[1]
ours = load_file(f"{folder}/adapter_logits.safetensors")
ids = ours["ids"].long()
base = transformers.AutoModelForCausalLM.from_pretrained(f"{folder}/base", dtype=torch.float32, attn_implementation="eager")
with torch.no_grad():
    adapted = peft.PeftModel.from_pretrained(base, f"{folder}/adapter").eval()(ids).logits
    merged_model = transformers.AutoModelForCausalLM.from_pretrained(f"{folder}/merged", dtype=torch.float32, attn_implementation="eager")
    merged = merged_model(ids).logits
expected_merged = load_file(f"{folder}/expected_logits.safetensors")["logits"]
result = {
    "peft_loads_our_adapter_max_diff": (adapted - ours["logits"]).abs().max().item(),
    "transformers_loads_our_merged_max_diff": (merged - expected_merged).abs().max().item(),
}
print(json.dumps(result))
sys.exit(0 if all(v < 1e-4 for v in result.values()) else 1)
