"""The serving benchmark's reference: PEFT's mixed-adapter batch inference, and transformers' batched generate of the base.

Run on the GPU box:  python3 tools/reference/bench_peft_serve.py [--shape qwen2.5-0.5b]
Same load as `StyleStudio.Benchmarks serve`: 64 prompts of 64–256 random tokens, 128 new tokens each (min = max),
greedy, bf16, spread over the base and 4 random LoRA adapters of rank 16 on every linear layer, one batch, left padding,
`generate(..., adapter_names=[...])` (PEFT's mixed-adapter batches). One warm-up on a small batch, then one timed run.
"""
import argparse, json, random, time

import peft
import torch
import transformers

from shapes import qwen2_config

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

parser = argparse.ArgumentParser()
parser.add_argument("--shape", default="qwen2.5-0.5b")
parser.add_argument("--streams", type=int, default=64)
parser.add_argument("--adapters", type=int, default=4)
parser.add_argument("--rank", type=int, default=16)
parser.add_argument("--new-tokens", type=int, default=128)
args = parser.parse_args()

config = qwen2_config(args.shape)
torch.manual_seed(0)
with torch.device("cuda"):
    base = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa").eval()

rng = random.Random(1234)
prompts = [[rng.randrange(100, config.vocab_size) for _ in range(rng.randint(64, 256))] for _ in range(args.streams)]
width = max(len(p) for p in prompts)
ids = torch.tensor([[0] * (width - len(p)) + p for p in prompts], device="cuda")
mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device="cuda")


def timed(model, **extra):
    small = dict((k, v[:4]) for k, v in extra.items())
    model.generate(ids[:4], attention_mask=mask[:4], do_sample=False, max_new_tokens=8, min_new_tokens=8, pad_token_id=0, **small)
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = model.generate(ids, attention_mask=mask, do_sample=False, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                         pad_token_id=0, **extra)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return (out.shape[1] - width) * args.streams / seconds, seconds


base_tps, base_seconds = timed(base)
memory_base = torch.cuda.memory_allocated()
lora = peft.LoraConfig(r=args.rank, lora_alpha=2 * args.rank, target_modules=TARGETS, init_lora_weights=False, task_type="CAUSAL_LM")
model = peft.get_peft_model(base, lora, adapter_name="adapter-1")
for i in range(2, args.adapters + 1):
    model.add_adapter(f"adapter-{i}", lora)
model.eval()
memory_adapters = torch.cuda.memory_allocated() - memory_base
names = ["__base__" if i % (args.adapters + 1) == 0 else f"adapter-{i % (args.adapters + 1)}" for i in range(args.streams)]
mixed_tps, mixed_seconds = timed(model, adapter_names=names)
print(json.dumps({"device": torch.cuda.get_device_name(), "shape": args.shape, "streams": args.streams, "adapters": args.adapters,
                  "rank": args.rank, "new_tokens": args.new_tokens,
                  "library": f"transformers {transformers.__version__}, peft {peft.__version__}, torch {torch.__version__}",
                  "transformers_base_batch_tokens_per_s": base_tps, "transformers_base_batch_seconds": base_seconds,
                  "peft_mixed_adapters_tokens_per_s": mixed_tps, "peft_mixed_adapters_seconds": mixed_seconds,
                  "peft_adapter_bytes": memory_adapters, "base_bytes": memory_base}))
