"""Reference fixtures for StyleStudio's GLM support, produced with Hugging Face transformers and PEFT.

Run on the GPU box (CPU, fp32):
    python3 tools/reference/make_glm_reference.py OUT_DIR TINY_TOKENIZER_DIR
TINY_TOKENIZER_DIR holds the 512-token byte-level BPE of the other tiny models (tests/.../Fixtures/models/qwen2); GLM's
special tokens are added to it ([gMASK] <sop> <|system|> <|user|> <|assistant|> <|observation|>, ids 512-517), with
GLM-4's post-processor ([gMASK]<sop> before a text encoded with special tokens).
Writes OUT_DIR/models/{glm,glm4}/ (config, weights, tokenizer, reference.json + reference.safetensors in the layout of
make_reference.py, plus "text_cases": greedy continuations and perplexities of texts, as the CLI computes them) and
OUT_DIR/peft-glm4/{lora,dora}/ (PEFT adapters on the glm4 model with their logits, gradients and merged logits, in the
layout of make_peft_reference.py, targets including the fused gate_up_proj).
"""
import json, os, sys, traceback

import peft
import torch
import transformers
from safetensors.torch import save_file
from tokenizers import Tokenizer, processors

out, tokenizer_dir = sys.argv[1], sys.argv[2]
print("transformers", transformers.__version__, "peft", peft.__version__, "torch", torch.__version__)

GLM_SPECIALS = ["[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]
COMMON = dict(vocab_size=520, hidden_size=64, intermediate_size=112, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, head_dim=24, max_position_embeddings=512, rms_norm_eps=1e-6, initializer_range=0.1,
              bos_token_id=None, eos_token_id=[0, 515, 517], pad_token_id=0, attention_bias=True,
              partial_rotary_factor=0.5, rope_theta=10000.0, tie_word_embeddings=False)
ARCHS = {"glm": "glm", "glm4": "glm4"}
PROMPTS = [[5, 17, 300, 42, 99], [7, 8, 9, 400, 401, 402, 12, 13, 200, 201, 77]]
NEW_TOKENS = 16
TEXTS = ["The quick brown fox", "今天天气很好，我们一起去", "Dear Sir, I am writing to inform you that"]
SCORED = ["Formal letters ask kindly for a casual reply.", "床前明月光，疑是地上霜。"]


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


def glm_tokenizer(folder):
    tok = Tokenizer.from_file(f"{tokenizer_dir}/tokenizer.json")
    tok.add_special_tokens(GLM_SPECIALS)
    gmask, sop = tok.token_to_id("[gMASK]"), tok.token_to_id("<sop>")
    assert (gmask, sop) == (512, 513), (gmask, sop)
    tok.post_processor = processors.TemplateProcessing(single="[gMASK]:0 <sop>:0 $A:0", pair="[gMASK]:0 <sop>:0 $A:0 $B:1",
                                                       special_tokens=[("[gMASK]", gmask), ("<sop>", sop)])
    tok.save(f"{folder}/tokenizer.json")
    json.dump({"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "bos_token": None, "model_max_length": 4096,
               "tokenizer_class": "PreTrainedTokenizerFast", "padding_side": "left"},
              open(f"{folder}/tokenizer_config.json", "w"), indent=2)


def left_pad(prompts, pad=0):
    width = max(map(len, prompts))
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    return ids, mask


def record(model, tokenizer, folder):
    tensors, ref = {}, {"prompts": PROMPTS, "greedy": [], "margins": [], "nll": []}
    with torch.no_grad():
        for i, p in enumerate(PROMPTS):
            ids = torch.tensor([p])
            logits = model(ids).logits[0].float()
            tensors[f"single_{i}"] = logits.contiguous()
            ref["nll"].append(torch.nn.functional.cross_entropy(logits[:-1], ids[0, 1:]).item())
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
        # What `stylestudio generate --raw --temperature 0` and `score` compute: the text encoded with special tokens;
        # generation stops at an eos id (the config lists three), as generate() does.
        ref["text_cases"] = []
        for text in TEXTS:
            enc = tokenizer(text, return_tensors="pt")
            gen = model.generate(**enc, max_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=0, output_scores=True,
                                 return_dict_in_generate=True)
            ref["text_cases"].append({"prompt": text, "prompt_ids": enc.input_ids[0].tolist(),
                                      "greedy": gen.sequences[0, enc.input_ids.shape[1]:].tolist(),
                                      "margins": [float(s[0].topk(2).values[0] - s[0].topk(2).values[1]) for s in gen.scores]})
        ref["scored"] = []
        for text in SCORED:
            enc = tokenizer(text, return_tensors="pt")
            loss = model(**enc, labels=enc.input_ids).loss.item()
            ref["scored"].append({"text": text, "ids": enc.input_ids[0].tolist(), "mean_nll": loss,
                                  "perplexity": float(torch.exp(torch.tensor(loss)))})
    save_file(tensors, f"{folder}/reference.safetensors")
    json.dump(ref, open(f"{folder}/reference.json", "w"), indent=1, ensure_ascii=False)


for name, model_type in ARCHS.items():
    @section(f"model {name}")
    def one():
        folder = f"{out}/models/{name}"
        os.makedirs(folder, exist_ok=True)
        try:
            config = transformers.AutoConfig.for_model(model_type, **COMMON)
        except (TypeError, ValueError) as e:  # a config class that only takes rope_parameters
            print("retrying with rope_parameters:", e)
            kwargs = {k: v for k, v in COMMON.items() if k not in ("rope_theta", "partial_rotary_factor")}
            kwargs["rope_parameters"] = {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5}
            config = transformers.AutoConfig.for_model(model_type, **kwargs)
        torch.manual_seed(len(name) + 10)
        model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager").eval()
        with torch.no_grad():
            model.lm_head.weight.normal_(0, 0.1)
            for module in model.modules():  # nonzero biases and norms, so that a missing one shows in the logits
                if isinstance(module, torch.nn.Linear) and module.bias is not None:
                    module.bias.normal_(0, 0.1)
            for pname, parameter in model.named_parameters():
                if pname.endswith("layernorm.weight") or pname.endswith("norm.weight"):
                    parameter.normal_(1.0, 0.2)
        model.save_pretrained(folder)
        glm_tokenizer(folder)
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        record(model, tokenizer, folder)
        print(name, open(f"{folder}/config.json").read())
        print(sorted(k for k in model.state_dict().keys() if ".layers.0." in k))


@section("peft glm4")
def peft_glm4():
    model_dir = f"{out}/models/glm4"
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"]
    ids = torch.tensor([[5, 17, 300, 42, 99, 7, 8, 9, 400, 401, 402, 12], [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]])
    labels = ids.clone()
    labels[0, :5] = -100
    labels[1, :3] = -100
    for variant, extra in {"lora": {}, "dora": {"use_dora": True}}.items():
        torch.manual_seed(3)
        base = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
        config = peft.LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=targets, init_lora_weights=False,
                                 task_type="CAUSAL_LM", **extra)
        model = peft.get_peft_model(base, config)
        result = model(input_ids=ids, labels=labels)
        result.loss.backward()
        folder = os.path.join(out, "peft-glm4", variant)
        model.save_pretrained(folder)
        tensors = {"logits": result.logits.detach().contiguous()}
        for pname, parameter in model.named_parameters():
            if parameter.requires_grad:
                tensors["grad." + pname.replace(".default", "")] = parameter.grad.detach().contiguous()
        with torch.no_grad():
            tensors["merged_logits"] = model.merge_and_unload()(ids).logits.contiguous()
        save_file(tensors, os.path.join(folder, "reference.safetensors"))
        json.dump({"input_ids": ids.tolist(), "labels": labels.tolist(), "loss": result.loss.item()},
                  open(os.path.join(folder, "reference.json"), "w"))
        print(variant, "loss", result.loss.item(), "trainable", sum(k.startswith("grad.") for k in tensors))
