"""Greedy decoding speed of transformers' generate() on random weights of a real shape (the baseline for our decode).

Run on the GPU box:  python3 tools/reference/bench_hf_decode.py [--shape qwen2.5-0.5b] [--new-tokens 256]
Same protocol as `StyleStudio.Benchmarks decode`: batch 1, 64-token prompt, min = max new tokens, bf16, SDPA,
one warm-up run then the median of 3.
"""
import argparse, json, statistics, time

import torch
import transformers

SHAPES = {
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, tie_word_embeddings=True),
    "qwen2.5-7b": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                       num_key_value_heads=4, tie_word_embeddings=False),
}

parser = argparse.ArgumentParser()
parser.add_argument("--shape", default="qwen2.5-0.5b")
parser.add_argument("--prompt-tokens", type=int, default=64)
parser.add_argument("--new-tokens", type=int, default=256)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()

config = transformers.AutoConfig.for_model("qwen2", vocab_size=151936, max_position_embeddings=32768, rms_norm_eps=1e-6,
                                           rope_theta=1000000.0, **SHAPES[args.shape])
torch.manual_seed(0)
model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa").cuda().eval()
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
