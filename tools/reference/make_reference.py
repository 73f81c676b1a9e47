"""Reference fixtures for StyleStudio's model core, produced with Hugging Face transformers / tokenizers.

Run on the GPU box (python3 with torch, transformers, tokenizers, safetensors); CPU is used so numbers are exact fp32:
    python3 tools/reference/make_reference.py OUT_DIR CORPUS.txt.gz TOKENIZERS_DIR
Writes into OUT_DIR:
  tiny-tokenizer/                 a 512-token byte-level BPE (Qwen-style) trained on the corpus, used by the tiny models
  models/<name>/                  tiny random checkpoints (config.json, safetensors, tokenizer files)
  models/<name>/reference.json    prompts, greedy continuations (single and left-padded batch), NLL, step margins
  models/<name>/reference.safetensors  fp32 logits: single_<i> [T_i, V] and batch [B, T, V] (left padded, explicit positions)
  processors.json                 HF logits processors applied to fixed logits, in generate()'s own order
  tokenizers/<name>.ids.txt.gz    HF tokenizers ids for every corpus line (add_special_tokens=False), plus a few with True
"""
import gzip, inspect, json, os, sys, traceback

import torch
import transformers
from safetensors.torch import save_file
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

out, corpus_path, tokenizers_dir = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
print("transformers", transformers.__version__, "torch", torch.__version__)

QWEN_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def read_corpus():
    lines = []
    with gzip.open(corpus_path, "rt", encoding="utf-8") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            text, i = [], 0
            while i < len(raw):
                c = raw[i]
                if c == "\\" and i + 1 < len(raw):
                    text.append({"n": "\n", "r": "\r", "\\": "\\"}[raw[i + 1]])
                    i += 2
                else:
                    text.append(c)
                    i += 1
            lines.append("".join(text))
    return lines


def section(name):
    def wrap(fn):
        try:
            fn()
            print(f"[ok] {name}")
        except Exception:
            print(f"[FAILED] {name}")
            traceback.print_exc()
        return fn
    return wrap


corpus = read_corpus()

# ---- tokenizer parity ids -------------------------------------------------------------------------------------------
@section("tokenizer ids")
def tokenizer_ids():
    os.makedirs(f"{out}/tokenizers", exist_ok=True)
    for name in sorted(os.listdir(tokenizers_dir)):
        tok = Tokenizer.from_file(f"{tokenizers_dir}/{name}/tokenizer.json")
        encodings = tok.encode_batch(corpus, add_special_tokens=False)
        with gzip.open(f"{out}/tokenizers/{name}.ids.txt.gz", "wt") as f:
            for e in encodings:
                f.write(" ".join(map(str, e.ids)) + "\n")
        with_specials = [tok.encode(line, add_special_tokens=True).ids for line in corpus[:50]]
        decoded = [tok.decode(ids, skip_special_tokens=False) for ids in (e.ids for e in encodings[:200])]
        json.dump({"with_special_tokens": with_specials, "decoded_first_200": decoded},
                  open(f"{out}/tokenizers/{name}.extra.json", "w"), ensure_ascii=False)
        print(name, sum(len(e.ids) for e in encodings), "tokens")


# ---- a tiny tokenizer for the tiny models ---------------------------------------------------------------------------
@section("tiny tokenizer")
def tiny_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    os.makedirs(f"{out}/tiny-tokenizer", exist_ok=True)
    tok.save(f"{out}/tiny-tokenizer/tokenizer.json")
    json.dump({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": None, "add_bos_token": False,
               "model_max_length": 4096, "tokenizer_class": "Qwen2Tokenizer"},
              open(f"{out}/tiny-tokenizer/tokenizer_config.json", "w"), indent=2)
    print("tiny vocab", tok.get_vocab_size())


# ---- tiny checkpoints and their logits ------------------------------------------------------------------------------
COMMON = dict(vocab_size=512, hidden_size=64, intermediate_size=112, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-6, initializer_range=0.1,
              bos_token_id=None, eos_token_id=2, pad_token_id=0)
ARCHS = {
    "qwen2": dict(model_type="qwen2", tie_word_embeddings=True, rope_theta=1000000.0),
    "qwen3": dict(model_type="qwen3", head_dim=24, tie_word_embeddings=False, rope_theta=1000000.0),
    "llama3": dict(model_type="llama", tie_word_embeddings=False, rope_theta=500000.0,
                   rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                     original_max_position_embeddings=64)),
    "mistral": dict(model_type="mistral", tie_word_embeddings=False, rope_theta=10000.0, sliding_window=8),
}
PROMPTS = [[5, 17, 300, 42, 99], [7, 8, 9, 400, 401, 402, 12, 13, 200, 201, 77]]
NEW_TOKENS = 16


def left_pad(prompts, pad=0):
    width = max(map(len, prompts))
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    return ids, mask


def build_tiny(name, extra, dtype=torch.float32, shard=None, folder=None):
    kwargs = dict(COMMON, **{k: v for k, v in extra.items() if k != "model_type"})
    config = transformers.AutoConfig.for_model(extra["model_type"], **kwargs)
    torch.manual_seed(len(name))
    model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager").eval()
    if not config.tie_word_embeddings:  # lm_head gets its own, clearly different, values
        with torch.no_grad():
            model.lm_head.weight.normal_(0, 0.1)
    folder = folder or f"{out}/models/{name}"
    model.to(dtype).save_pretrained(folder, max_shard_size=shard or "2GB")
    for f in ("tokenizer.json", "tokenizer_config.json"):
        if os.path.exists(f"{out}/tiny-tokenizer/{f}"):
            with open(f"{out}/tiny-tokenizer/{f}") as src, open(f"{folder}/{f}", "w") as dst:
                dst.write(src.read())
    # Reload exactly what was saved, in fp32: the reference is what transformers makes of the files.
    return transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32,
                                                             attn_implementation="eager").eval(), folder


def record(model, folder):
    tensors, ref = {}, {"prompts": PROMPTS, "greedy": [], "margins": [], "nll": []}
    with torch.no_grad():
        for i, p in enumerate(PROMPTS):
            ids = torch.tensor([p])
            logits = model(ids).logits[0].float()
            tensors[f"single_{i}"] = logits.contiguous()
            nll = torch.nn.functional.cross_entropy(logits[:-1], ids[0, 1:]).item()
            ref["nll"].append(nll)
            gen = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS,
                                 min_new_tokens=NEW_TOKENS, do_sample=False, output_scores=True,
                                 return_dict_in_generate=True, pad_token_id=0)
            ref["greedy"].append(gen.sequences[0, len(p):].tolist())
            ref["margins"].append([float(s[0].topk(2).values[0] - s[0].topk(2).values[1]) for s in gen.scores])
        ids, mask = left_pad(PROMPTS)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        tensors["batch"] = model(ids, attention_mask=mask, position_ids=positions).logits.float().contiguous()
        gen = model.generate(ids, attention_mask=mask, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                             do_sample=False, pad_token_id=0)
        ref["greedy_batch"] = gen[:, ids.shape[1]:].tolist()
        ref["batch_input_ids"], ref["batch_attention_mask"] = ids.tolist(), mask.tolist()
    save_file(tensors, f"{folder}/reference.safetensors")
    json.dump(ref, open(f"{folder}/reference.json", "w"), indent=1)


for arch_name, arch in ARCHS.items():
    @section(f"model {arch_name}")
    def one():
        model, folder = build_tiny(arch_name, arch)
        record(model, folder)
        print(arch_name, open(f"{folder}/config.json").read())


@section("model qwen2-bf16-sharded")
def sharded():
    model, folder = build_tiny("qwen2-bf16-sharded", ARCHS["qwen2"], dtype=torch.bfloat16, shard="40KB")
    record(model, folder)
    print(sorted(os.listdir(folder)))


# ---- logits processors ----------------------------------------------------------------------------------------------
@section("logits processors")
def processors():
    torch.manual_seed(1)
    logits = (torch.randn(1, 64) * 3).float()
    input_ids = torch.tensor([[3, 5, 5, 9, 12, 3, 40, 63, 7]])
    cases = [dict(do_sample=True, temperature=0.7),
             dict(do_sample=True, top_k=5),
             dict(do_sample=True, top_p=0.8),
             dict(do_sample=True, repetition_penalty=1.3),
             dict(do_sample=True, repetition_penalty=0.8),
             dict(do_sample=True, temperature=0.95, top_p=0.7, top_k=50),
             dict(do_sample=True, temperature=1.3, top_p=0.9, top_k=10, repetition_penalty=1.2),
             dict(do_sample=True, temperature=0.5, top_p=0.3, top_k=0, repetition_penalty=1.1)]
    tiny = transformers.AutoModelForCausalLM.from_pretrained(f"{out}/models/qwen2")
    results = []
    for case in cases:
        gc = transformers.GenerationConfig(**case)
        params = inspect.signature(tiny._get_logits_processor).parameters
        kwargs = dict(generation_config=gc, input_ids_seq_length=input_ids.shape[1], encoder_input_ids=input_ids,
                      prefix_allowed_tokens_fn=None, logits_processor=transformers.LogitsProcessorList(),
                      device="cpu", model_kwargs={})
        procs = tiny._get_logits_processor(**{k: v for k, v in kwargs.items() if k in params})
        scores = logits.clone()
        for p in procs:
            scores = p(input_ids, scores)
        results.append({"config": case, "processors": [type(p).__name__ for p in procs],
                        "processed": [None if v == float("-inf") else v for v in scores[0].tolist()]})
    json.dump({"logits": logits[0].tolist(), "input_ids": input_ids[0].tolist(), "cases": results},
              open(f"{out}/processors.json", "w"), indent=1)
    print([r["processors"] for r in results])
