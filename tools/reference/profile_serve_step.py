"""Where the serving engine's decode step spends GPU time: our own TorchScript (serve_step.torchscript, the source the
.NET engine compiles) run by this machine's libtorch — the same library TorchSharp drives on the GPU box — on random
weights of a real shape. Reports, per batch size and adapter mix: the step replayed as a CUDA graph (what the engine
replays; no host cost), the same step issued op by op, the kernels one step launches and where their time goes, the
memory-bandwidth bound, and the prompt pass (prefill) of the serving benchmark's 64 prompts, call by call (TorchScript's
profiling executor optimises a function on its second call).

Run on the GPU box:  python3 tools/reference/profile_serve_step.py [--shape qwen2.5-0.5b ...]
"""
import argparse, collections, json, pathlib, re, time

import torch

from shapes import SHAPES

ROOT = pathlib.Path(__file__).resolve().parents[2]
# libtorch's script compiler behind TorchSharp resolves torch.X to any aten::X (torch.linear, torch.silu); Python's
# resolves only what its torch module has, so the others are named as aten ops.
SOURCE = re.sub(r"torch\.([a-z_]+)\(", lambda m: m.group(0) if hasattr(torch, m.group(1)) else f"torch.ops.aten.{m.group(1)}(",
                (ROOT / "src/StyleStudio.Training/Serving/serve_step.torchscript").read_text())
VOCAB, MAX_POSITIONS, SLOT_TOKENS = 151936, 4096, 512
ADAPTERS, RANK = 4, 16

parser = argparse.ArgumentParser()
parser.add_argument("--shape", nargs="*", default=["qwen2.5-0.5b"])
parser.add_argument("--fusion", choices=["default", "dynamic", "off"], default="default",
                    help="TorchScript's fuser: its default strategy (2 static, then 10 dynamic specialisations), dynamic "
                         "shapes only, or no fusion")
parser.add_argument("--first-calls", action="store_true",
                    help="only: prefill calls of changing shapes, as a server meets them, and the batch-1 decode replay")
parser.add_argument("--no-cudnn-attention", action="store_true", help="leave cuDNN out of scaled_dot_product_attention's choice")
parser.add_argument("--lone-prefill", action="store_true",
                    help="only: a lone 64-token prompt's pass on the base (the playground's first token), replayed as a CUDA "
                         "graph as the engine replays it, and its kernels")
args = parser.parse_args()
if args.no_cudnn_attention:
    torch.backends.cuda.enable_cudnn_sdp(False)
if args.fusion == "dynamic":
    torch.jit.set_fusion_strategy([("DYNAMIC", 20)])
elif args.fusion == "off":
    torch._C._jit_set_texpr_fuser_enabled(False)
unit = torch.jit.CompilationUnit(SOURCE)


def randn(*size):
    return (torch.randn(*size, device="cuda") * 0.02).to(torch.bfloat16)


class Model:
    def __init__(self, shape, rows):
        s = SHAPES[shape]
        self.shape = shape
        self.hidden, inter, layers = s["hidden_size"], s["intermediate_size"], s["num_hidden_layers"]
        self.heads, self.kv_heads = s["num_attention_heads"], s["num_key_value_heads"]
        self.head_dim = self.hidden // self.heads
        qkv = (self.heads + 2 * self.kv_heads) * self.head_dim
        absent = torch.empty(0, device="cuda", dtype=torch.bfloat16)
        self.absent = absent
        self.embed = randn(VOCAB, self.hidden)
        self.lm_head = self.embed if s["tie_word_embeddings"] else randn(VOCAB, self.hidden)
        self.layers = []
        for _ in range(layers):
            self.layers += [torch.ones(self.hidden, device="cuda", dtype=torch.bfloat16), randn(qkv, self.hidden), randn(qkv),
                            absent, absent, randn(self.hidden, self.heads * self.head_dim), absent,
                            torch.ones(self.hidden, device="cuda", dtype=torch.bfloat16), randn(2 * inter, self.hidden),
                            randn(self.hidden, inter)]
        self.norm = torch.ones(self.hidden, device="cuda", dtype=torch.bfloat16)
        k = ADAPTERS * RANK
        self.bank = []
        for _ in range(layers):
            self.bank += [randn(3 * k, self.hidden), randn(qkv, 3 * k), absent, randn(k, self.heads * self.head_dim),
                          randn(self.hidden, k), absent, randn(2 * k, self.hidden), randn(2 * inter, 2 * k), absent,
                          randn(k, inter), randn(self.hidden, k), absent]
        self.k_cache = [torch.zeros(rows, self.kv_heads, SLOT_TOKENS, self.head_dim, device="cuda", dtype=torch.bfloat16)
                        for _ in range(layers)]
        self.v_cache = [torch.zeros_like(t) for t in self.k_cache]
        inv = 1.0 / (1e6 ** (torch.arange(0, self.head_dim, 2, device="cuda").float() / self.head_dim))
        angles = torch.outer(torch.arange(MAX_POSITIONS, device="cuda").float(), inv)
        self.cos = torch.cat([angles.cos(), angles.cos()], -1)
        self.sin = torch.cat([-angles.sin(), angles.sin()], -1)
        self.weight_bytes = sum(t.numel() * 2 for t in self.layers) + self.embed.numel() * 2 * (1 if self.lm_head is self.embed else 2)

    def masks(self, n, adapters):
        if not adapters:
            return self.absent, self.absent
        mask = torch.zeros(n, 1, ADAPTERS * RANK, device="cuda", dtype=torch.bfloat16)
        onehot = torch.zeros(n, ADAPTERS + 1, device="cuda", dtype=torch.bfloat16)
        for row in range(n):
            slot = row % (ADAPTERS + 1)
            onehot[row, slot] = 1
            if slot > 0:
                mask[row, 0, (slot - 1) * RANK:slot * RANK] = 1
        return mask, onehot

    def tail(self, adapters, mask, onehot):
        return [self.cos, self.sin, self.bank if adapters else [], mask, onehot, self.heads, self.kv_heads, self.head_dim,
                1e-6, 0, -3.0e38, True, False, False, False, [], adapters, False]

    def decode(self, ids, positions, span, adapters, mask, onehot):
        n = ids.size(0)
        return unit.decode(ids, positions, self.embed, self.layers, self.norm, self.lm_head,
                           [k[:n, :, :span] for k in self.k_cache], [v[:n, :, :span] for v in self.v_cache],
                           *self.tail(adapters, mask, onehot))

    def prefill(self, ids, lengths, slots, adapters, mask, onehot):
        return unit.prefill(ids, lengths, slots, 1, self.embed, self.layers, self.norm, self.lm_head, self.k_cache, self.v_cache,
                            *self.tail(adapters, mask, onehot))


def timed(work, repeats):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        work()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / repeats


def captured(work, warmups=3):
    """`work` as a CUDA graph, captured after warm-up runs on a side stream (as torch asks): the graph and what the
    captured run returned."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(warmups):
            work()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        result = work()
    return graph, result


def kernels(work):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as profile:
        work()
        torch.cuda.synchronize()
    by_name = collections.defaultdict(lambda: [0, 0.0])
    for event in profile.events():
        if event.device_type == torch.autograd.DeviceType.CUDA:
            entry = by_name[event.name[:90]]
            entry[0] += 1
            entry[1] += event.device_time_total / 1000
    count = sum(c for c, _ in by_name.values())
    busy = sum(t for _, t in by_name.values())
    top = sorted(by_name.items(), key=lambda kv: -kv[1][1])[:14]
    return count, busy, [{"kernel": name, "launches": c, "ms": round(t, 4)} for name, (c, t) in top]


def first_calls(model):
    # Prompts of changing batch and width arrive one pass after another; each new shape may be a new specialisation.
    generator = torch.Generator().manual_seed(7)
    mask, onehot = model.masks(64, True)
    calls = []
    for rows, width in [(1, 40), (1, 57), (3, 90), (1, 200), (8, 33), (2, 120), (1, 40), (5, 300), (16, 64), (1, 77), (3, 90), (1, 500)]:
        prompt = torch.randint(100, VOCAB, (rows, width), generator=generator).cuda()
        lengths = torch.full((rows,), width, device="cuda")
        torch.cuda.synchronize()
        began = time.perf_counter()
        model.prefill(prompt, lengths, torch.arange(rows, device="cuda"), True, mask[:rows], onehot[:rows])
        torch.cuda.synchronize()
        calls.append([rows, width, round((time.perf_counter() - began) * 1000, 1)])
    ids = torch.randint(100, VOCAB, (1, 1), device="cuda")
    positions = torch.full((1,), 88, device="cuda", dtype=torch.long)
    step = lambda: model.decode(ids, positions, 128, False, model.absent, model.absent)
    graph, _ = captured(step, warmups=4)
    print(json.dumps({"shape": model.shape, "fusion": args.fusion, "cudnn_attention": not args.no_cudnn_attention, "prefill_rows_width_ms": calls,
                      "decode_rows1_graph_replay_ms": round(timed(graph.replay, 200), 4), "kernels_per_step": kernels(step)[0]}), flush=True)


def lone_prefill(model, width=64):
    prompt = torch.randint(100, VOCAB, (1, width), device="cuda")
    lengths = torch.full((1,), width, device="cuda")
    slots = torch.zeros(1, dtype=torch.long, device="cuda")
    run = lambda: model.prefill(prompt, lengths, slots, False, model.absent, model.absent)
    graph, _ = captured(run, warmups=4)
    replay_ms = timed(graph.replay, 50)
    eager_ms = timed(run, 10)
    count, busy, top = kernels(run)
    print(json.dumps({"shape": model.shape, "lone_prefill_width": width, "graph_replay_ms": round(replay_ms, 3),
                      "eager_ms": round(eager_ms, 3), "bandwidth_bound_ms": round(model.weight_bytes / 4.8e12 * 1000, 3),
                      "kernels": count, "kernel_busy_ms": round(busy, 3), "top": top}), flush=True)


with torch.no_grad():
    for shape in args.shape:
        model = Model(shape, rows=64)
        if args.first_calls:
            first_calls(model)
            continue
        if args.lone_prefill:
            lone_prefill(model)
            continue
        for n, adapters, span in [(1, False, 128), (1, False, 512), (1, True, 128), (64, True, 256), (64, False, 256)]:
            ids = torch.randint(100, VOCAB, (n, 1), device="cuda")
            positions = torch.full((n,), span - 40, device="cuda", dtype=torch.long)
            mask, onehot = model.masks(n, adapters)
            step = lambda: model.decode(ids, positions, span, adapters, mask, onehot)
            for _ in range(3):
                step()
            torch.cuda.synchronize()
            eager_ms = timed(step, 20)
            graph, logits = captured(step)
            graph_ms = timed(graph.replay, 200)
            argmax_ms = timed(lambda: logits.argmax(-1), 200)
            to_host_ms = timed(lambda: logits.argmax(-1).cpu(), 50)
            count, busy, top = kernels(step)
            print(json.dumps({
                "shape": shape, "rows": n, "adapters": ADAPTERS if adapters else 0, "span": span,
                "graph_replay_ms": round(graph_ms, 4), "eager_ms": round(eager_ms, 4),
                "argmax_ms": round(argmax_ms, 4), "argmax_to_host_ms": round(to_host_ms, 4),
                "bandwidth_bound_ms": round(model.weight_bytes / 4.8e12 * 1000, 4),
                "kernels_per_step": count, "kernel_busy_ms": round(busy, 4), "top": top,
            }), flush=True)
            del graph
        # The serving benchmark's prompt pass: 64 prompts of 64–256 tokens (padded to the longest), 4 adapters mixed.
        generator = torch.Generator().manual_seed(1234)
        lengths = torch.randint(64, 249, (64,), generator=generator)
        width = int(lengths.max())
        prompt = torch.randint(100, VOCAB, (64, width), generator=generator).cuda()
        mask, onehot = model.masks(64, True)
        calls = []
        for call in range(5):
            torch.cuda.synchronize()
            began = time.perf_counter()
            model.prefill(prompt, lengths.cuda() , torch.arange(64, device="cuda"), True, mask, onehot)
            torch.cuda.synchronize()
            calls.append(round((time.perf_counter() - began) * 1000, 2))
        count, busy, top = kernels(lambda: model.prefill(prompt, lengths.cuda(), torch.arange(64, device="cuda"), True, mask, onehot))
        print(json.dumps({"shape": shape, "prefill_rows": 64, "prefill_width": width, "prefill_tokens": int(lengths.sum()),
                          "prefill_ms_by_call": calls, "kernels": count, "kernel_busy_ms": round(busy, 3), "top": top[:8]}), flush=True)
        del model
        torch.cuda.empty_cache()
