#!/usr/bin/python3
"""Writes the studio's Chinese web font: Noto Sans CJK SC (Debian's fonts-noto-cjk, SIL OFL 1.1) cut to the characters a
page needs, so Chinese renders on machines without CJK fonts and the studio needs no font CDN.

Characters kept: the 3,755 level-1 hanzi of GB 2312 (the common set, ~99.7 % of running modern text), CJK punctuation and
full-width forms, and every character of the studio's zh-CN resource files (run again after adding translations; the
browser test LanguageTests fails on a page character the font lacks).

Needs Debian's python3-fonttools and python3-brotli:  /usr/bin/python3 tools/fonts/make_cjk_subset.py
"""
import glob
import os
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SC_INDEX = 2  # the collection's order: JP, KR, SC, TC, HK, then the Mono faces
TARGET = os.path.join(ROOT, "src/StyleStudio.Web/wwwroot/fonts/studio-cjk-sc.woff2")


def gb2312_level1():
    # Rows 16-55 (lead bytes 0xB0-0xD7), 94 cells each; row 55 stops at cell 89 (0xD7F9).
    return "".join(bytes([lead, trail]).decode("gb2312")
                   for lead in range(0xB0, 0xD8) for trail in range(0xA1, 0xFF)
                   if not (lead == 0xD7 and trail > 0xF9))


def punctuation():
    return "".join(chr(c) for c in list(range(0x3000, 0x3040)) + list(range(0xFF00, 0xFFF0)) + [0x00B7, 0x2014, 0x2026, 0x2018, 0x2019, 0x201C, 0x201D])


def resource_text():
    text = []
    for path in glob.glob(os.path.join(ROOT, "src/**/*.zh-CN.resx"), recursive=True):
        with open(path, encoding="utf-8") as resx:
            text.append(resx.read())
    return "".join(text)


def main():
    text = gb2312_level1() + punctuation() + "".join(ch for ch in resource_text() if ord(ch) > 0x2E7F)
    font = TTFont(SOURCE, fontNumber=SC_INDEX)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    subset.save_font(font, TARGET, options)
    print(f"{TARGET}: {len(set(text))} characters, {os.path.getsize(TARGET):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
