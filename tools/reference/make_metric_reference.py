"""BLEU and chrF reference values from sacreBLEU for StyleStudio's evaluation metrics.

Run on the GPU box (it has sacrebleu):  python3 tools/reference/make_metric_reference.py OUT.json
References are the hand-written target sides of samples/pairs/*.tsv; hypotheses are made from them by deterministic
edits (dropped, swapped and replaced words or characters, truncation, an empty output, exact copies), so scores cover
the whole range. Records sacreBLEU's tokenizations, sentence scores and corpus scores with their statistics.
"""
import json, random, sys

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh


def references(name):
    with open(f"samples/pairs/{name}.tsv", encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t")[1] for line in f.readlines()[1:] if "\t" in line][:40]


def perturb(text, rng, chinese):
    units = list(text) if chinese else text.split(" ")
    kind = rng.randrange(6)
    if kind == 0 and len(units) > 2:
        del units[rng.randrange(len(units))]
    elif kind == 1 and len(units) > 2:
        i = rng.randrange(len(units) - 1)
        units[i], units[i + 1] = units[i + 1], units[i]
    elif kind == 2:
        units[rng.randrange(len(units))] = "吧" if chinese else "totally"
    elif kind == 3:
        units = units[: max(1, len(units) // 2)]
    elif kind == 4:
        return text
    else:
        units = units + (["！"] if chinese else ["lol!"])
    return ("" if chinese else " ").join(units)


# Tokenizer corner cases: numbers with separators, hyphens, entities, contractions, quotes, dashes and ellipses
# (U+2001–U+2A6D counts as Chinese in sacreBLEU's zh table), full-width forms, emoji, mixed scripts.
EDGE_REFERENCES = [
    "It's 3.14, not 1,000 -- the U.S. state-of-the-art model (v2.0) costs $5.",
    "Tom &amp; Jerry said \"hi\"; well-known co-operation, e.g. 2-3 times!",
    "今天……我们——去“公园”散步，好吗？",
    "GPT-4模型在2024年发布，效果提升了35%。",
    "全角ＡＢＣ１２３，半角ABC123；😀表情也算。",
    "《论语》曰：「学而时习之」。",
]
EDGE_HYPOTHESES = [
    "Its 3.14 not 1,000 - the US state of the art model (v2) costs $ 5.",
    "Tom & Jerry said hi; well known cooperation e.g. 2 - 3 times",
    "今天…我们—去\"公园\"散步,好吗?",
    "GPT4 模型在 2024 年发布，效果提升 35 %。",
    "全角ABC123,半角ＡＢＣ１２３;😀表情也算",
    "论语曰：学而时习之。",
]


def block(name, tokenize, chinese, explicit=None):
    rng = random.Random(7)
    if explicit:
        hyps, refs = explicit
    else:
        refs = references(name)
        hyps = [perturb(r, rng, chinese) for r in refs]
        hyps[5] = ""                               # an empty output
    bleu = BLEU(tokenize=tokenize)
    sentence_bleu = BLEU(tokenize=tokenize, effective_order=True)
    chrf, chrf_pp = CHRF(), CHRF(word_order=2)
    tokenizer = TokenizerZh() if chinese else Tokenizer13a()
    corpus = bleu.corpus_score(hyps, [refs])
    return {
        "name": name, "tokenize": tokenize, "hypotheses": hyps, "references": refs,
        "tokenized": [tokenizer(h) for h in hyps] + [tokenizer(r) for r in refs],
        "corpus_bleu": {"score": corpus.score, "counts": corpus.counts, "totals": corpus.totals, "bp": corpus.bp,
                        "sys_len": corpus.sys_len, "ref_len": corpus.ref_len},
        "corpus_chrf": chrf.corpus_score(hyps, [refs]).score,
        "corpus_chrf_pp": chrf_pp.corpus_score(hyps, [refs]).score,
        "sentence_bleu": [sentence_bleu.sentence_score(h, [r]).score for h, r in zip(hyps, refs)],
        "sentence_chrf": [chrf.sentence_score(h, [r]).score for h, r in zip(hyps, refs)],
    }


out = {
    "sacrebleu": sacrebleu.__version__,
    "blocks": [block("formal-to-casual", "13a", False), block("modern-to-classical", "zh", True),
               block("official-to-social", "zh", True),
               block("edge-cases-13a", "13a", False, (EDGE_HYPOTHESES, EDGE_REFERENCES)),
               block("edge-cases-zh", "zh", True, (EDGE_HYPOTHESES, EDGE_REFERENCES))],
}
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1)
print("sacrebleu", sacrebleu.__version__, "blocks", len(out["blocks"]))
