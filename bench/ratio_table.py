"""One table from one `bench/compare_engines.sh` run (not part of the product): the stock
candle column from `qawl bench --compare`, and qawl f32 / int8 beside PyTorch and ONNX Runtime
from the interleaved rounds of bench/interleaved.py. Rates are each engine's median over the
rounds; a ratio is the median of the per-round ratios, with its range over the rounds.

    python bench/ratio_table.py target/bench-engines/qawl.txt target/bench-engines/rounds.jsonl
"""
import collections
import json
import re
import statistics
import sys


def candle_rates(path):
    """batch -> stock candle pairs/s, from the `qawl bench --compare` table."""
    rows = {}
    for line in open(path, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"\d+", cells[0]):
            rows[int(cells[0])] = float(cells[1])
    return rows


def round_rates(path):
    """(engine family, batch) -> {round: pairs/s}, and each family's full name."""
    rates, names = collections.defaultdict(dict), {}
    for line in open(path, encoding="utf-8"):
        row = json.loads(line)
        family = " ".join(row["engine"].split()[:2]) if row["engine"].startswith("qawl") \
            else row["engine"].split()[0]
        names[family] = row["engine"]
        rates[(family, row["batch"])][row["round"]] = row["pairs_per_second"]
    return rates, names


def ratio(rates, top, bottom, batch):
    """Median of the per-round ratios top ÷ bottom, with their range."""
    a, b = rates.get((top, batch), {}), rates.get((bottom, batch), {})
    per_round = sorted(a[r] / b[r] for r in a if b.get(r))
    if not per_round:
        return "–"
    return f"{statistics.median(per_round):.2f}× ({per_round[0]:.2f}–{per_round[-1]:.2f})"


def main(qawl_path, rounds_path):
    candle = candle_rates(qawl_path)
    rates, names = round_rates(rounds_path)
    torch, ort = "pytorch", "onnxruntime"
    batches = sorted({batch for (_, batch) in rates})
    count = max((len(v) for v in rates.values()), default=0)
    print(f"pairs/s, medians of {count} interleaved rounds; PyTorch = {names.get(torch)}, "
          f"ORT = {names.get(ort)}; ratios: median of the per-round ratios (range)")
    print("| batch | candle | qawl f32 | qawl int8 | PyTorch | ORT | f32 ÷ PyTorch | int8 ÷ PyTorch"
          " | f32 ÷ ORT | int8 ÷ ORT |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for batch in batches:
        median = lambda family: (f"{statistics.median(rates[(family, batch)].values()):.1f}"
                                 if rates.get((family, batch)) else "–")
        cells = [f"{candle[batch]:.1f}" if batch in candle else "–"]
        cells += [median(f) for f in ("qawl f32", "qawl int8", torch, ort)]
        cells += [ratio(rates, top, bottom, batch)
                  for bottom in (torch, ort) for top in ("qawl f32", "qawl int8")]
        print(f"| {batch} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:3])
