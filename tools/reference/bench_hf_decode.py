"""Greedy decoding speed of transformers' generate() on random weights of a real shape (the baseline for our decode).

Run on the GPU box:  python3 tools/reference/bench_hf_decode.py [--shape qwen2.5-0.5b] [--new-tokens 256]
Same protocol as `StyleStudio.Benchmarks decode`: batch 1, 64-token prompt, min = max new tokens, bf16, SDPA,
one warm-up run then the median of 3.
"""
import argparse, json, statistics, time

import torch
import transformers

from shapes import qwen2_config


parser = argparse.ArgumentParser()
parser.add_argument("--shape", default="qwen2.5-0.5b")
parser.add_argument("--prompt-tokens", type=int, default=64)
parser.add_argument("--new-tokens", type=int, default=256)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()

config = qwen2_config(args.shape)
torch.manual_seed(0)
with torch.device("cuda"):   # random init on the GPU: a 7B shape takes minutes on the CPU
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa").eval()
prompt = torch.tensor([[(i * 7919) % config.vocab_size for i in range(args.prompt_tokens)]], device="cuda")
runs = []
for run in range(args.repeats + 1):
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False, max_new_tokens=args.new_tokens,
                         min_new_tokens=args.new_tokens, pad_token_id=0)
    torch.cuda.synchronize()
    if run > 0:
        runs.append((out.shape[1] - prompt.shape[1]) / (time.perf_counter() - start))
print(json.dumps({"device": torch.cuda.get_device_name(), "shape": args.shape, "library": f"transformers {transformers.__version__}",
                  "new_tokens": args.new_tokens, "tokens_per_s_runs": runs, "tokens_per_s_median": statistics.median(runs)}))
