"""Builds the mixed Chinese/English/emoji corpus for tokenizer parity tests.

Real text comes from the zh_CN / zh_TW gettext catalogs that Debian installs (English msgids beside their Chinese
translations), interleaved with emoji, code, numbers and whitespace edge cases that byte-level BPE tokenizers split in
tricky ways. Output: one sample per line (newlines inside a sample are written as the two characters \\n and restored by
the readers), gzip-compressed. Run on a Debian machine: python3 make_tokenizer_corpus.py OUT.txt.gz [min_bytes]
"""
import gettext, glob, gzip, random, sys

out = sys.argv[1]
min_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else 1_100_000
rng = random.Random(20261128)

EXTRAS = [
    "😀😃😄 emoji 👍🏽 with skin tone, family 👨‍👩‍👧‍👦 and flags 🇨🇳🇺🇸",
    "古风：春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",
    "公文腔：根据上级有关文件精神，现将有关事项通知如下。😂 轻松一点吧！",
    "  leading spaces,\ttabs\t\tand   runs of    spaces   ",
    "Numbers 1234567890 3.14159 1,000,000 ２０２６年１１月２８日",
    "Code: def f(x):\n    return x ** 2  # square\n\nprint(f(12))",
    "Mixed中English混合text没有空格",
    "Full-width ＡＢＣ，half-width ABC, ideographic space\u3000here",
    "Combining: e\u0301 vs \u00e9; Hangul 한국어; Japanese 日本語のテキスト",
    "Special-looking text <|im_start|>user\nhello<|im_end|> and <|endoftext|>",
    "Llama headers <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
    "Contractions: I'm, you're, it's, we'll, they've, don't, CAN'T",
    "URLs https://example.com/a/b?c=d&e=f and emails someone@example.org",
    "\n\n\nnewlines\n \n\t\n",
]

def catalog_pairs():
    files = sorted(glob.glob("/usr/share/locale/zh_*/LC_MESSAGES/*.mo")) + sorted(glob.glob("/usr/share/vim/*/lang/zh_*UTF-8/LC_MESSAGES/*.mo"))
    for path in files:
        try:
            with open(path, "rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog
        except Exception:
            continue
        for key, value in catalog.items():
            source = key[0] if isinstance(key, tuple) else key
            if source and value and isinstance(source, str):
                yield source, value

samples, size = [], 0
for source, target in catalog_pairs():
    roll = rng.random()
    if roll < 0.4:
        sample = f"{source} {target}"
    elif roll < 0.7:
        sample = target
    elif roll < 0.9:
        sample = source
    else:
        sample = f"{target} {rng.choice(EXTRAS)}"
    samples.append(sample)
    size += len(sample.encode("utf-8"))
    if size >= min_bytes:
        break
samples.extend(EXTRAS)
rng.shuffle(samples)
with gzip.open(out, "wt", encoding="utf-8") as f:
    for sample in samples:
        f.write(sample.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r") + "\n")
print(f"{len(samples)} samples, {size} bytes of catalog text")
