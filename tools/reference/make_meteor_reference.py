"""METEOR, Porter stems and WordNet synsets from NLTK 3.8 for StyleStudio's METEOR (Meteor.cs, PorterStemmer.cs, WordNet.cs).

Run with Debian's python3-nltk 3.8 (the system interpreter, not a pyenv one) from the repository root:
    /usr/bin/python3 tools/reference/make_meteor_reference.py tests/StyleStudio.Tests/Fixtures/metrics/meteor.json

WordNet: the same WordNet 3.0 dictionary files the studio reads, from Debian's wordnet-base (/usr/share/wordnet, or the
folder named by $STYLESTUDIO_WORDNET). NLTK's reader also insists on a `lexnames` file, which wordnet-base does not ship,
so the script builds a corpus folder in a temporary directory: symlinks to index.*, data.* and *.exc, plus a written
`lexnames` holding WordNet 3.0's 45 lexicographer file names (NLTK only uses them for Synset.lexname(); they do not
affect lemma names, morphy or METEOR).

Inputs:
- the blocks of Fixtures/metrics/sacrebleu.json (our sample pairs, English with 13a and Chinese with zh, hypotheses made
  by make_metric_reference.py's deterministic edits, plus its tokenizer edge cases). METEOR is computed on sacreBLEU's
  own tokenizations recorded there, split on whitespace, so this script needs no sacreBLEU; one extra block scores the
  English sample against two reference streams (the references, and each hypothesis's tokens reversed).
- the multi-reference line files of Fixtures/metrics/cli (two reference streams), with each tokenization
  (13a, zh, intl, char, none) sacreBLEU recorded for them in Fixtures/metrics/metrics_cli.json.
- hand-picked corner cases given as tokens (synonyms, stems, irregular forms from the exception lists, reordering,
  repeats, empty sides, several references, punctuation, case, numbers, CJK including extension-B characters).
- Porter stems (NLTK_EXTENSIONS mode) for a deterministic sample of WordNet lemmas without '_' and for edge words.
- synset lemma-name sets (all parts of speech, morphy with exceptions) for a sample of words, inflections and stems.
"""
import atexit, json, os, random, shutil, sys, tempfile

import nltk
from nltk.corpus.reader.wordnet import WordNetCorpusReader
from nltk.stem.porter import PorterStemmer
from nltk.translate.meteor_score import align_words, meteor_score, single_meteor_score

LEXNAMES = """adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body noun.cognition
noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive noun.object noun.person
noun.phenomenon noun.plant noun.possession noun.process noun.quantity noun.relation noun.shape noun.state noun.substance
noun.time verb.body verb.change verb.cognition verb.communication verb.competition verb.consumption verb.contact
verb.creation verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather
adj.ppl""".split()
assert len(LEXNAMES) == 45
LEX_POS = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}
FILES = [f"{kind}.{pos}" for kind in ("index", "data") for pos in ("adj", "adv", "noun", "verb")] + \
        [f"{pos}.exc" for pos in ("adj", "adv", "noun", "verb")]


def wordnet_reader(source):
    folder = tempfile.mkdtemp(prefix="wordnet-nltk-")
    atexit.register(shutil.rmtree, folder, True)
    for name in FILES:
        os.symlink(os.path.join(source, name), os.path.join(folder, name))
    with open(os.path.join(folder, "lexnames"), "w") as f:
        for i, name in enumerate(LEXNAMES):
            f.write(f"{i:02d}\t{name}\t{LEX_POS[name.split('.')[0]]}\n")
    return WordNetCorpusReader(folder, None)


SOURCE = os.environ.get("STYLESTUDIO_WORDNET") or "/usr/share/wordnet"
wn = wordnet_reader(SOURCE)
stemmer = PorterStemmer()


def score(hyp, refs):
    return meteor_score(refs, hyp, wordnet=wn)


def cli_blocks():
    # The multi-reference line files of Fixtures/metrics/cli with every tokenization sacreBLEU recorded for them
    # (hypotheses first, then each reference stream in turn).
    with open("tests/StyleStudio.Tests/Fixtures/metrics/metrics_cli.json", encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    out = []
    for c in cases:
        streams = len(c["references"])
        for tokenize, lines in c["tokenized"].items():
            n = len(lines) // (streams + 1)
            hyps = [t.split() for t in lines[:n]]
            refs = [[t.split() for t in lines[n * (k + 1): n * (k + 2)]] for k in range(streams)]
            seg = [score(h, [r[i] for r in refs]) for i, h in enumerate(hyps)]
            out.append({"case": c["case"], "references": c["references"], "tokenize": tokenize, "segments": seg,
                        "corpus": sum(seg) / n})
    return out


def sample_blocks():
    with open("tests/StyleStudio.Tests/Fixtures/metrics/sacrebleu.json", encoding="utf-8") as f:
        blocks = json.load(f)["blocks"]
    out = []
    for b in blocks:
        n = len(b["hypotheses"])
        hyps = [t.split() for t in b["tokenized"][:n]]
        refs = [t.split() for t in b["tokenized"][n:]]
        seg = [score(h, [r]) for h, r in zip(hyps, refs)]
        out.append({"name": b["name"], "segments": seg, "corpus": sum(seg) / n})
        if b["name"] == "formal-to-casual":
            # A second reference stream: each hypothesis's tokens in reverse order (every word matches, one chunk per
            # word, so it scores 0.5 and wins exactly where the real reference scores below that).
            second = [" ".join(reversed(h)) for h in hyps]
            seg = [score(h, [r, s.split()]) for h, r, s in zip(hyps, refs, second)]
            out.append({"name": b["name"], "second_stream": second, "segments": seg, "corpus": sum(seg) / n})
    return out


# Corner cases as (name, hypothesis, [references]); tokens are separated by single spaces.
CASES = [
    ("nltk-doc", "It is a guide to action which ensures that the military always obeys the commands of the party",
     ["It is a guide to action that ensures that the military will forever heed Party commands",
      "It is the guiding principle which guarantees the military forces always being under the command of the Party",
      "It is the practical guide for the army always to heed the directions of the party"]),
    ("nltk-doc-2", "It is to insure the troops forever hearing the activity guidebook that party direct",
     ["It is a guide to action that ensures that the military will forever heed Party commands",
      "It is the guiding principle which guarantees the military forces always being under the command of the Party",
      "It is the practical guide for the army always to heed the directions of the party"]),
    ("identical", "the cat sat on the mat", ["the cat sat on the mat"]),
    ("no-match", "non matching hypothesis", ["this is a cat"]),
    ("synonym-big-large", "a big house", ["a large house"]),
    ("synonym-both-ways", "the large dog", ["the big dog"]),
    ("synonym-car-auto", "my car broke", ["my automobile broke"]),
    ("synonym-after-stem", "he quickly purchased it", ["he rapidly bought it"]),
    ("stems-run", "running runs ran", ["ran runs running"]),
    ("stems-run-2", "he was running home", ["he runs home"]),
    ("stems-plural", "the cats and dogs", ["the cat and dog"]),
    ("stems-happy", "happiness is happy", ["happy is happiness"]),
    ("exception-geese", "the geese flew", ["the goose flew"]),
    ("exception-went", "they went home", ["they go home"]),
    ("exception-better", "this is better", ["this is good"]),
    ("exception-mice", "mice ate cheese", ["mouse ate cheese"]),
    ("exception-children", "the children were playing", ["the child was playing"]),
    ("reordering", "home went he quickly", ["he went home quickly"]),
    ("reverse", "d c b a", ["a b c d"]),
    ("repeats-hyp", "the the the cat", ["the cat"]),
    ("repeats-ref", "the cat", ["the the the cat"]),
    ("repeats-both", "a b a b a", ["b a b a b"]),
    ("empty-hypothesis", "", ["a reference sentence"]),
    ("empty-reference", "a hypothesis", [""]),
    ("empty-both", "", [""]),
    ("empty-one-of-two", "the cat sat", ["", "the cat sat down"]),
    ("multi-max-second", "the dog barked loudly", ["a cat meowed", "the dog barked loud", "dog"]),
    ("multi-max-first", "one two three", ["one two three", "one two", "three"]),
    ("punctuation", "hello , world ! how are you ?", ["hello world . how are you ?"]),
    ("punctuation-only", ". , ! ?", ["? ! , ."]),
    ("mixed-case", "The QUICK Brown Fox", ["the quick brown fox"]),
    ("mixed-case-synonym", "A BIG House", ["a Large house"]),
    ("numbers", "it costs 3.14 dollars , not 1,000", ["it costs 1,000 dollars , not 3.14"]),
    ("numbers-words", "2 cats in 2024", ["two cats in 2024"]),
    ("apostrophes", "it's the meeting's end", ["it is the meeting 's end"]),
    ("hyphens", "state-of-the-art model", ["state of the art model"]),
    ("long-reorder", "a b c d e f g h i j", ["f g h i j a b c d e"]),
    ("one-word", "yes", ["yes"]),
    ("one-word-miss", "yes", ["no"]),
    ("special-lower-i-dot", "İstanbul is big", ["i̇stanbul is large"]),
    ("special-final-sigma", "ΟΔΟΣ ΣΟΦΟΣ", ["οδος σοφος"]),
    ("special-sigma-vs-plain", "ΟΔΟΣ", ["οδοσ"]),
    ("sharp-s", "STRASSE straße", ["strasse STRASSE"]),
    ("cjk-chars", "今 天 天 气 很 好", ["今 日 天 朗 气 清"]),
    ("cjk-reorder", "好 很 气 天 天 今", ["今 天 天 气 很 好"]),
    ("cjk-ext-b", "𠀀 𠀁 𪚥 好 𠀀", ["𠀀 好 𪚥 𠀁"]),
    ("cjk-ext-b-glued", "𠀀𠀁 a𠀋𠀋ed 𠀋ing", ["𠀀𠀁 a𠀋 𠀋ing"]),
    ("cjk-mixed-latin", "GPT 4 模 型 很 big", ["gpt 4 模 型 很 large"]),
    ("fullwidth", "ＡＢＣ １２３ abc", ["ａｂｃ 123 ABC"]),
    ("stem-only-shared", "connection connected", ["connecting connections"]),
    ("synonym-stem-leftover", "the buildings were huge", ["the building was enormous"]),
    ("adjective-marker", "the elect official", ["the elected official"]),
    ("uppercase-lemma", "paris is a city", ["Paris is a metropolis"]),
    ("exact-before-stem", "runs run", ["run running"]),
]


def case_blocks():
    out = []
    for name, hyp, refs in CASES:
        h = hyp.split()
        rs = [r.split() for r in refs]
        alignments = []
        for r in rs:
            matches, _, _ = align_words(h, r, wordnet=wn)
            alignments.append([list(m) for m in matches])
        out.append({"name": name, "hypothesis": h, "references": rs, "score": score(h, rs),
                    "single": [single_meteor_score(r, h, wordnet=wn) for r in rs], "alignments": alignments})
    return out


def lemmas():
    words = set()
    for pos in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(SOURCE, f"index.{pos}")) as f:
            for line in f:
                if not line.startswith(" "):
                    w = line.split()[0]
                    if "_" not in w:
                        words.add(w)
    return sorted(words)


PORTER_EDGE = ["", "a", "is", "as", "ies", "ied", "ties", "tied", "dies", "died", "skies", "sky", "SKIES", "Skies",
               "dying", "lying", "tying", "news", "innings", "inning", "outings", "cannings", "howe", "proceed",
               "exceed", "succeed", "succeeded", "agreed", "feed", "bled", "sing", "hopping", "tanned", "falling",
               "hissing", "fizzed", "failing", "filing", "happy", "enjoy", "spy", "fly", "try", "relational",
               "conditional", "rational", "valenci", "hesitanci", "digitizer", "conformabli", "radicalli",
               "differentli", "vileli", "analogousli", "vietnamization", "predication", "operator", "feudalism",
               "decisiveness", "hopefulness", "callousness", "formaliti", "sensitiviti", "sensibiliti", "hopefulli",
               "analogi", "geologi", "triplicate", "formative", "formalize", "electriciti", "electrical", "hopeful",
               "goodness", "revival", "allowance", "inference", "airliner", "gyroscopic", "adjustable", "defensible",
               "irritant", "replacement", "adjustment", "dependent", "adoption", "homologou", "communism",
               "activate", "angulariti", "homologous", "effective", "bowdlerize", "probate", "rate", "cease",
               "controll", "roll", "generously", "running", "Running", "RUNNING", "ran", "runs", "happiness",
               "happily", "connection", "connections", "connected", "connecting", "it's", "don't", "'s", "n't",
               "state-of-the-art", "3.14", "1,000", "2024", "v2.0", "u.s.", "e.g.", "c++", "@home", "...",
               "İstanbul", "ΣΟΦΟΣ", "straße", "STRASSE", "café", "naïve", "résumé", "ﬁnished", "ǅemal",
               "𠀀", "𠀀𠀁", "a𠀋𠀋ed", "𠀋ing", "e𠀋", "y𠀋y", "今天", "好", "ＡＢＣ", "ab", "eo", "oy", "yyy", "bbb",
               "eed", "ed", "ing", "sses", "ss", "s", "y", "ys", "aing", "bing", "oing", "eing", "yed", "ated",
               "bled", "ized", "ation", "ational", "alli", "allies", "fulli", "logi", "bli", "abli", "ll",
               "falling", "filled", "ableness", "ousli", "entli", "elies", "iveness", "sion", "tion", "ion"]


def porter_words():
    rng = random.Random(11)
    words = lemmas()
    return PORTER_EDGE + sorted(rng.sample(words, 2600))


SYNSET_EDGE = ["big", "large", "geese", "goose", "went", "go", "better", "best", "mice", "children", "ran", "running",
               "run", "runs", "happi", "happy", "purchased", "bought", "buy", "car", "auto", "house", "houses",
               "Dog", "DOGS", "Paris", "paris", "us", "u.s.", "elect", "elected", "was", "were", "is", "be", "an",
               "a", "the", "of", "quick", "quickly", "rapidly", "huge", "enormous", "build", "buildings", "women",
               "boxes", "churches", "wolves", "flies", "studies", "studied", "making", "hoped", "biggest", "bigger",
               "nicer", "nicest", "axes", "ses", "men", "human", "glasses", "teeth", "feet", "leaves", "lives",
               "saw", "seen", "lying", "died", "oxen", "data", "criteria", "abaci", "well", "good", "ill", "worse",
               "further", "farther", "hardest", "meeting", "meet", "met", "off", "heads", "up", "sorry", "thanks",
               "lol", "ok", "2", "2024", "3.14", "'s", "it's", "don't", "connect", "connection", "connecti",
               "generous", "gener", "cat", "cats", "dogs", "i", "me", "my", "you", "stylestudio", "qwerty", "",
               "İstanbul", "straße", "今", "hyphen-ated", "state-of-the-art", "a.m.", "p.m.", "co-operation"]


def synset_words():
    rng = random.Random(13)
    words = lemmas()
    picked = rng.sample(words, 160)
    # Inflected forms and Porter stems of some of them, so morphy's rules and exceptions are exercised.
    inflected = [w + s for w, s in zip(rng.sample(words, 60), ["s", "es", "ed", "ing", "er", "est"] * 10)]
    stems = [stemmer.stem(w) for w in rng.sample(words, 60)]
    return list(dict.fromkeys(SYNSET_EDGE + picked + inflected + stems))


def synset_names(word):
    names = set()
    for s in wn.synsets(word):
        names.update(l.name() for l in s.lemmas())
    return " ".join(sorted(names))


out = {
    "nltk": nltk.__version__,
    "wordnet": "WordNet 3.0 dictionary files from " + SOURCE,
    "samples": sample_blocks(),
    "cli": cli_blocks(),
    "cases": case_blocks(),
    "porter": {w: stemmer.stem(w) for w in porter_words()},
    "synsets": {w: synset_names(w) for w in synset_words()},
}
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=0, separators=(",", ":"))
    f.write("\n")
print("nltk", nltk.__version__, "samples", len(out["samples"]), "cli", len(out["cli"]), "cases", len(out["cases"]),
      "porter", len(out["porter"]), "synsets", len(out["synsets"]))
