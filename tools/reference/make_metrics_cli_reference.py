"""Reference values for `stylestudio metrics` from sacreBLEU 2.6 itself: BLEU, chrF, chrF++ and TER over files.

Two steps, so that the case files are made here (no sacreBLEU needed) and scored where sacreBLEU is installed:
  python3 tools/reference/make_metrics_cli_reference.py cases tests/StyleStudio.Tests/Fixtures/metrics/cli
  python3 tools/reference/make_metrics_cli_reference.py score tests/StyleStudio.Tests/Fixtures/metrics/cli OUT.json  (GPU box)

Each case is a folder of line files (hyp.txt, ref*.txt, src.txt). Lines are read as sacreBLEU's command line reads
them (split on "\n" only, each line rstripped). Scores use sacreBLEU's Python API on those lines, with the options its
command line would pass: BLEU with --tokenize, chrF (word order 0 and 2), TER with its default options and with each
Tercom option, and "self-BLEU" = BLEU of the hypotheses against the sources as the only reference.
"""
import json, os, random, sys

CASE_TOKENIZE = {
    "en-multi": ["13a", "intl", "char", "none"],
    "zh-multi": ["zh", "13a", "char"],
    "zh-social": ["zh", "intl"],
    "edge": ["13a", "zh", "intl", "char", "none"],
}
TER_VARIANTS = {
    "default": {},
    "normalized": {"normalized": True},
    "normalized-asian": {"normalized": True, "asian_support": True},
    "case-sensitive": {"case_sensitive": True},
    "no-punct-asian": {"no_punct": True, "asian_support": True},
}


def pairs(name):
    with open(f"samples/pairs/{name}.tsv", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f.readlines()[1:] if "\t" in line]
    return [r[0] for r in rows][:40], [r[1] for r in rows][:40]


def perturb(text, rng, chinese):
    units = list(text) if chinese else text.split(" ")
    kind = rng.randrange(7)
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
    elif kind == 5 and len(units) > 4:
        # move a block of words: TER's shifts
        i = rng.randrange(len(units) - 3)
        block = units[i:i + 2]
        units = units[:i] + units[i + 2:]
        units = units + block
    else:
        units = units + (["！"] if chinese else ["lol!"])
    return ("" if chinese else " ").join(units)


EDGE_SOURCES = [
    "It is 3.14, not 1,000.", "Tom and Jerry said hello.", "今天我们去公园散步。", "该模型于2024年发布。",
    "全角与半角。", "《论语》有言。", "𠀀𪚥𰻞 are rare characters.", "Price: €100 «cheap» — yes!",
    "", "The the the cat.", "Don't stop.", "五千元整。",
]
EDGE_REFERENCES = [
    "It's 3.14, not 1,000 -- the U.S. state-of-the-art model (v2.0) costs $5.",
    "Tom &amp; Jerry said \"hi\"; well-known co-operation, e.g. 2-3 times!",
    "今天……我们——去“公园”散步，好吗？",
    "GPT-4模型在2024年发布，效果提升了35%。",
    "全角ＡＢＣ１２３，半角ABC123；😀表情也算。",
    "《论语》曰：「学而时习之」。",
    "𠀀𪚥𰻞是罕见字，𠀀字最古。",
    "Price: €100 «cheap» — yes! 5.000,00 EUR",
    "Nothing to see here.",
    "the cat sat on the mat the cat",
    "Don't stop believing, it's fine.",
    "伍仟圆整，ＯＫ？",
]
EDGE_SECOND_REFERENCES = [
    "It is 3.14 rather than 1,000: the US model v2.0 costs five dollars.",
    "Tom and Jerry said hi, a well known cooperation, 2 to 3 times.",
    "今天我们去公园散步好吗",
    "GPT-4 模型 2024 年发布，效果提升 35%。",
    "全角ABC123，半角ＡＢＣ１２３；表情😀也算。",
    "论语曰：学而时习之。",
    "𪚥𠀀𰻞皆罕见之字。",
    "Price €100, cheap - yes",
    "",
    "The cat sat on the mat.",
    "DON'T STOP BELIEVING",
    "五千元整，好吗？",
]
EDGE_HYPOTHESES = [
    "Its 3.14 not 1,000 - the US state of the art model (v2) costs $ 5.",
    "Tom & Jerry said hi; well known cooperation e.g. 2 - 3 times",
    "今天…我们—去\"公园\"散步,好吗?",
    "GPT4 模型在 2024 年发布，效果提升 35 %。",
    "全角ABC123,半角ＡＢＣ１２３;😀表情也算",
    "",
    "𰻞𪚥𠀀是罕见字",
    "Price €100 «cheap» -- yes !",
    "   ",
    "the the the cat sat mat on the",
    "don't stop believing , it's fine",
    "伍仟圆整 OK?",
]


def write_lines(folder, name, lines):
    with open(os.path.join(folder, name), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(line + "\n" for line in lines))


def make_cases(root):
    rng = random.Random(11)
    for case, sample, chinese in [("en-multi", "formal-to-casual", False), ("zh-multi", "modern-to-classical", True),
                                  ("zh-social", "official-to-social", True)]:
        sources, refs = pairs(sample)
        hyps = [perturb(r, rng, chinese) for r in refs]
        hyps[3] = ""
        folder = os.path.join(root, case)
        os.makedirs(folder, exist_ok=True)
        write_lines(folder, "src.txt", sources)
        write_lines(folder, "hyp.txt", hyps)
        write_lines(folder, "ref1.txt", refs)
        if case != "zh-social":
            write_lines(folder, "ref2.txt", [perturb(r, rng, chinese) for r in refs])
    folder = os.path.join(root, "edge")
    os.makedirs(folder, exist_ok=True)
    write_lines(folder, "src.txt", EDGE_SOURCES)
    write_lines(folder, "hyp.txt", EDGE_HYPOTHESES)
    write_lines(folder, "ref1.txt", EDGE_REFERENCES)
    write_lines(folder, "ref2.txt", EDGE_SECOND_REFERENCES)


def read_lines(path):
    # As sacreBLEU's command line reads a file: newline="\n", each line rstripped.
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line.rstrip() for line in f]


def score(root, out_path):
    import sacrebleu
    from sacrebleu.metrics import BLEU, CHRF, TER
    from sacrebleu.metrics.bleu import _get_tokenizer

    cases = []
    for case, tokenizations in CASE_TOKENIZE.items():
        folder = os.path.join(root, case)
        hyps = read_lines(os.path.join(folder, "hyp.txt"))
        srcs = read_lines(os.path.join(folder, "src.txt"))
        ref_files = sorted(n for n in os.listdir(folder) if n.startswith("ref"))
        refs = [read_lines(os.path.join(folder, n)) for n in ref_files]
        entry = {"case": case, "references": ref_files, "bleu": {}, "self_bleu": {}, "tokenized": {}}
        for tok in tokenizations:
            tokenizer = _get_tokenizer(tok)()
            entry["tokenized"][tok] = [tokenizer(line.rstrip()) for line in hyps + [r for ref in refs for r in ref]]
            corpus = BLEU(tokenize=tok).corpus_score(hyps, refs)
            entry["bleu"][tok] = {"score": corpus.score, "counts": corpus.counts, "totals": corpus.totals,
                                  "sys_len": corpus.sys_len, "ref_len": corpus.ref_len}
            entry["self_bleu"][tok] = BLEU(tokenize=tok).corpus_score(hyps, [srcs]).score
        entry["chrf"] = CHRF().corpus_score(hyps, refs).score
        entry["chrf_plus_plus"] = CHRF(word_order=2).corpus_score(hyps, refs).score
        entry["chrf_source"] = CHRF().corpus_score(hyps, [srcs]).score
        entry["ter"] = {}
        for variant, options in TER_VARIANTS.items():
            ter = TER(**options)
            corpus = ter.corpus_score(hyps, refs)
            entry["ter"][variant] = {
                "score": corpus.score, "num_edits": corpus.num_edits, "ref_length": corpus.ref_length,
                "sentences": [ter.sentence_score(h, [ref[i] for ref in refs]).score for i, h in enumerate(hyps)],
            }
        cases.append(entry)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"sacrebleu": sacrebleu.__version__, "cases": cases}, f, ensure_ascii=False, indent=1)
    print("sacrebleu", sacrebleu.__version__, "cases", len(cases))


if __name__ == "__main__":
    if sys.argv[1] == "cases":
        make_cases(sys.argv[2])
    else:
        score(sys.argv[2], sys.argv[3])
