#!/usr/bin/env python3
"""Adds or updates zh-CN translations in a component's resource file, creating it when missing.

    python3 tools/localization/translate.py src/StyleStudio.Web/Resources/Components/Pages/Home.zh-CN.resx <<'JSON'
    {"Models": "模型", "{0} model(s)": "{0} 个模型"}
    JSON

The key is the English text exactly as the component passes it to IStringLocalizer (L["..."]); the value is the Chinese.
Entries stay sorted by key so that two people adding strings to one file rarely collide.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

HEADER = """<?xml version="1.0" encoding="utf-8"?>
<root>
  <resheader name="resmimetype"><value>text/microsoft-resx</value></resheader>
  <resheader name="version"><value>2.0</value></resheader>
  <resheader name="reader"><value>System.Resources.ResXResourceReader, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
  <resheader name="writer"><value>System.Resources.ResXResourceWriter, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
"""


def read(path):
    if not os.path.exists(path):
        return {}
    return {data.get("name"): data.findtext("value") or "" for data in ET.parse(path).getroot().iter("data")}


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def write(path, entries):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as resx:
        resx.write(HEADER)
        for key in sorted(entries):
            resx.write(f'  <data name="{escape(key)}" xml:space="preserve"><value>{escape(entries[key])}</value></data>\n')
        resx.write("</root>\n")


def main():
    if len(sys.argv) != 2 or not sys.argv[1].endswith(".zh-CN.resx"):
        sys.exit("usage: translate.py PATH.zh-CN.resx < {\"English\": \"中文\", ...}")
    entries = read(sys.argv[1])
    entries.update(json.load(sys.stdin))
    write(sys.argv[1], entries)
    print(f"{sys.argv[1]}: {len(entries)} entries", file=sys.stderr)


if __name__ == "__main__":
    main()
