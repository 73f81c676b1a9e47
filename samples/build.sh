#!/usr/bin/env bash
# Rebuilds the bundled sample datasets (samples/*.jsonl and their dataset_info.json entries) from the hand-written pairs
# in samples/pairs/, with StyleStudio's own CLI: import with a style label, normalize + de-duplicate, give every row an
# instruction from the curated phrasings of its style (seeded), export in alpaca format for StyleStudio and LLaMA-Factory.
set -euo pipefail
cd "$(dirname "$0")"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
cli() { dotnet run --project ../src/StyleStudio.Cli -- "$@" --data "$data"; }
build() { # name, source column, target column, style
  cli data import "pairs/$1.tsv" --name "$1" --map "$2=input" --map "$3=output" --style "$4"
  cli data clean "$1" --normalize --dedup --vary-instructions 1
  cli data export "$1" --format alpaca --out .
}
build modern-to-classical 现代文 古风 古风
build official-to-social 公文 社交媒体 社交媒体
build formal-to-casual formal casual casual
