"""One table from one `bench/compare_engines.sh` run: qawl's candle, fast f32 and fast int8 rows
(`qawl bench --compare` output) beside PyTorch's and ONNX Runtime's (bench/engines.py JSON lines),
as pairs/s and as ratios. Not part of the product.

    python bench/ratio_table.py target/bench-engines/qawl.txt target/bench-engines/python.jsonl
"""
import json
import re
import sys


def qawl_rows(path):
    """batch -> (candle, fast f32, fast int8) pairs/s from the comparison table."""
    rows = {}
    for line in open(path, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"\d+", cells[0]):
            rows[int(cells[0])] = tuple(float(c) for c in cells[1:4])
    return rows


def engine_rows(path):
    """(engine family, batch) -> pairs/s, and each family's full name."""
    rates, names = {}, {}
    for line in open(path, encoding="utf-8"):
        row = json.loads(line)
        if "batch" not in row:
            continue
        family = row["engine"].split()[0]
        names[family] = row["engine"]
        rates[(family, row["batch"])] = row["pairs_per_second"]
    return rates, names


def main(qawl_path, python_path):
    qawl = qawl_rows(qawl_path)
    rates, names = engine_rows(python_path)
    torch, ort = "pytorch", "onnxruntime"
    print(f"pairs/s; PyTorch = {names.get(torch)}, ORT = {names.get(ort)}")
    print("| batch | candle | qawl f32 | qawl int8 | PyTorch | ORT | f32 ÷ PyTorch | int8 ÷ PyTorch"
          " | f32 ÷ ORT | int8 ÷ ORT |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for batch, (candle, fast, int8) in sorted(qawl.items()):
        pt, rt = rates.get((torch, batch)), rates.get((ort, batch))
        ratio = lambda a, b: f"{a / b:.2f}×" if a and b else "–"
        print(f"| {batch} | {candle:.1f} | {fast:.1f} | {int8:.1f} | {pt or '–'} | {rt or '–'} | "
              f"{ratio(fast, pt)} | {ratio(int8, pt)} | {ratio(fast, rt)} | {ratio(int8, rt)} |")


if __name__ == "__main__":
    main(*sys.argv[1:3])
