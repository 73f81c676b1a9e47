"""The longest sequence transformers + PEFT train under a device-memory cap: the reference for
`StyleStudio.Benchmarks longest-sequence`. Same protocol: random weights of the real shape, batch 1, LoRA on all linear
layers (fp32 adapters), gradient checkpointing as LLaMA-Factory enables it, SDPA, AdamW, two steps per length, lengths
from the shortest until one runs out of memory. The cap is made the same way: one allocation holds all but --max-device-memory
GiB of the device before the model is built. bitsandbytes is not installed on the GPU box, so the base is bf16 (PEFT's
best case: a 4-bit base would only take less memory).

Run on the GPU box:  python3 tools/reference/bench_peft_longest.py [--shape qwen2.5-7b] [--rank 16] [--max-device-memory 24]
"""
import argparse, json, time

import peft
import torch
import transformers

from shapes import peft_lora_model, qwen2_config

parser = argparse.ArgumentParser()
parser.add_argument("--shape", default="qwen2.5-7b")
parser.add_argument("--rank", type=int, default=16)
parser.add_argument("--max-device-memory", type=float, default=24.0)
parser.add_argument("--sequences", type=int, nargs="*", default=[4096, 8192, 16384, 24576, 32768, 49152, 65536, 98304, 131072])
args = parser.parse_args()

free, total = torch.cuda.mem_get_info()
ballast = torch.empty(total - int(args.max_device_memory * 2**30), dtype=torch.uint8, device="cuda")
config = qwen2_config(args.shape)
config.max_position_embeddings = max(config.max_position_embeddings, max(args.sequences))
torch.manual_seed(0)
rows, longest = [], None
try:
    model = peft_lora_model(config, args.rank, checkpointing=True)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    for sequence in sorted(args.sequences):
        ids = torch.randint(0, config.vocab_size, (1, sequence), device="cuda")
        torch.cuda.reset_peak_memory_stats()
        try:
            times = []
            for step in range(2):
                torch.cuda.synchronize()
                began = time.perf_counter()
                loss = model(input_ids=ids, labels=ids).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                torch.cuda.synchronize()
                times.append(time.perf_counter() - began)
        except torch.OutOfMemoryError as error:
            rows.append({"sequence": sequence, "fits": False, "error": str(error).split("\n")[0][:200]})
            break
        finally:
            loss = None
            optimizer.zero_grad()
            torch.cuda.empty_cache()
        longest = sequence
        rows.append({"sequence": sequence, "fits": True, "step_seconds": times[-1], "peak_allocated": torch.cuda.max_memory_allocated()})
except torch.OutOfMemoryError as error:
    rows.append({"model": "does not fit", "error": str(error).split("\n")[0][:200]})
print(json.dumps({"device": torch.cuda.get_device_name(), "library": f"transformers {transformers.__version__} + peft {peft.__version__}",
                  "shape": args.shape, "rank": args.rank, "batch": 1, "gradient_checkpointing": True, "base": "bf16",
                  "device_memory_cap_gib": args.max_device_memory, "ballast_bytes": ballast.numel(),
                  "longest_sequence": longest, "rows": rows}))
