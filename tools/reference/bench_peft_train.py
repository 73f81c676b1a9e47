"""LoRA training throughput of transformers + PEFT (the engine under LLaMA-Factory): the baseline for our trainer.

Run on the GPU box:  python3 tools/reference/bench_peft_train.py [--shape qwen2.5-0.5b] [--batch 8] [--sequence 512] [--rank 8]
                     [--checkpointing] [--autocast]
Same protocol as `StyleStudio.Benchmarks train-step`: random weights of the real shape in bf16, SDPA, LoRA on all linear
layers (fp32 adapters), AdamW, random tokens with every label learned, 3 warm-up + 8 timed steps.
--checkpointing enables gradient checkpointing as LLaMA-Factory does (reentrant, inputs made to require grad);
--autocast runs forward under torch.autocast(bf16), as the HF Trainer does with bf16=True (LLaMA-Factory's setting).
Reports tokens/s, torch's peak allocated memory and the device-wide memory in use (what our NVML reading compares to).
"""
import argparse, json, time

import peft
import torch
import transformers

from shapes import peft_lora_model, qwen2_config

parser = argparse.ArgumentParser()
parser.add_argument("--shape", default="qwen2.5-0.5b")
parser.add_argument("--batch", type=int, default=8)
parser.add_argument("--sequence", type=int, default=512)
parser.add_argument("--rank", type=int, default=8)
parser.add_argument("--checkpointing", action="store_true")
parser.add_argument("--autocast", action="store_true")
args = parser.parse_args()

config = qwen2_config(args.shape)
torch.manual_seed(0)
model = peft_lora_model(config, args.rank, args.checkpointing)
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
ids = torch.randint(0, config.vocab_size, (args.batch, args.sequence), device="cuda")
torch.cuda.reset_peak_memory_stats()
for step in range(11):
    if step == 3:
        torch.cuda.synchronize()
        start = time.perf_counter()
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.autocast):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimizer.step()
    optimizer.zero_grad()
torch.cuda.synchronize()
seconds = time.perf_counter() - start
free, total = torch.cuda.mem_get_info()
print(json.dumps({"device": torch.cuda.get_device_name(), "library": f"transformers {transformers.__version__} + peft {peft.__version__}",
                  "shape": args.shape, "batch": args.batch, "sequence": args.sequence, "rank": args.rank,
                  "gradient_checkpointing": args.checkpointing, "autocast": args.autocast,
                  "tokens_per_s": 8 * args.batch * args.sequence / seconds,
                  "peak_allocated": torch.cuda.max_memory_allocated(), "peak_reserved": torch.cuda.max_memory_reserved(),
                  "device_memory_in_use": total - free}))
