"""Desensitizer benchmark (issue 12 part 3, ADR 0039): recall and precision per category, and time per decision.

Golden set: bench/data/desensitize_golden.json, synthetic 行政处罚决定书 in the style of published ones (water,
urban management, agriculture, environment, market regulation, transport) from the seeded generator
`zhifa.disclosure.desensitize.testdata` (--regenerate rewrites the file from --seed/--count). Each text carries
annotated spans: the sensitive ones (person_name, id_number, phone, address, bank_card, plate) and the ones that
must stay public (organization, uscc, officer, law_title, agency).

The texts are desensitized as `zhifa redact` does, with no case context (no `known` list: the hardest case; with
--known the parties' names, numbers and addresses and the officers are passed as a case would).

- recall per sensitive category: a gold span counts as found when every character of it is inside some mask;
- precision per mask category: a mask counts as right when it overlaps some sensitive gold span;
- kept: the share of public gold spans that no mask touches;
- time: median and p95 per decision (wall clock, and the thread's CPU time: the machine is shared) after a warm-up (the model's one-off load is printed apart). Baseline in the
  same run: the rules alone (no model), ratio = median(full) / median(rules only).

Run: .venv/bin/python bench/desensitize.py [--count N] [--known] [--regenerate --seed S --count N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from zhifa.disclosure.desensitize import desensitize  # noqa: E402
from zhifa.disclosure.desensitize.testdata import PUBLIC, SENSITIVE, GoldDoc, golden_set  # noqa: E402

GOLDEN = REPO / "bench" / "data" / "desensitize_golden.json"
HELDOUT = REPO / "bench" / "data" / "desensitize_heldout.json"
TARGET_RECALL = {"id_number": 0.995, "phone": 0.995, "person_name": 0.97, "address": 0.97}
TARGET_PRECISION = 0.95
TARGET_MEDIAN_MS = 50.0


def load(path: Path) -> list[GoldDoc]:
    return [GoldDoc.from_json(d) for d in json.loads(path.read_text(encoding="utf-8"))["documents"]]


def save(path: Path, docs: list[GoldDoc], seed: int, heldout: bool) -> None:
    """One document a line, so that a regenerated file diffs by document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = json.dumps({"generator": "zhifa.disclosure.desensitize.testdata.golden_set", "seed": seed,
                       "heldout": heldout, "count": len(docs)}, ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(d.to_json(), ensure_ascii=False) for d in docs)
    path.write_text(f'{head}, "documents": [\n{lines}\n]}}\n', encoding="utf-8")


def known_of(doc: GoldDoc) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What a case would hand the desensitizer: its parties' data (the first paragraphs) and its officers."""
    header_end = doc.text.find("经查")
    known = [(s.text, s.category) for s in doc.spans if s.category in SENSITIVE and s.end <= header_end]
    keep = [(s.text, s.category) for s in doc.spans if s.category in ("officer", "organization")]
    return known, keep


@dataclass
class Tally:
    found: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    right: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    masks: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    kept: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    public: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def run(docs: list[GoldDoc], *, use_model: bool, with_known: bool) -> Tally:
    tally = Tally()
    found, total, right, masks, kept, public = (tally.found, tally.total, tally.right, tally.masks, tally.kept,
                                                tally.public)
    misses, false, times, cpu = tally.misses, tally.false, tally.times, tally.cpu
    for doc in docs:
        known, keep = known_of(doc) if with_known else ([], [])
        t0, c0 = time.perf_counter(), time.thread_time()
        result = desensitize(doc.text, known=known, keep=keep, use_model=use_model)
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
        covered = bytearray(len(doc.text))
        for s in result.spans:
            covered[s.original_start:s.original_end] = b"\x01" * (s.original_end - s.original_start)
        for g in doc.spans:
            if g.category in SENSITIVE:
                total[g.category] += 1
                if all(covered[i] or doc.text[i].isspace() for i in range(g.start, g.end)):
                    found[g.category] += 1
                elif len(misses) < 40:
                    misses.append(f"{doc.id} {g.category} {g.text!r}")
            elif g.category in PUBLIC:
                public[g.category] += 1
                if not any(covered[g.start:g.end]):
                    kept[g.category] += 1
                elif len(false) < 40:
                    false.append(f"{doc.id} masked public {g.category} {g.text!r}")
        for s in result.spans:
            masks[s.category] += 1
            if any(g.category in SENSITIVE and g.start < s.original_end and s.original_start < g.end for g in doc.spans):
                right[s.category] += 1
            elif len(false) < 40:
                false.append(f"{doc.id} {s.category} {doc.text[s.original_start:s.original_end]!r} ({s.rule})")
    return tally


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", type=Path, default=None, help="golden file (default: the main or --heldout set)")
    parser.add_argument("--heldout", action="store_true",
                        help="the held-out set: facts phrased in ways the rules were not tuned on (120 texts)")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the golden file from --seed/--count")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--count", type=int, default=0, help="documents to use (0: all); with --regenerate: how many")
    parser.add_argument("--known", action="store_true", help="pass each case's parties and officers as a case would")
    parser.add_argument("--show", action="store_true", help="list missed spans and wrong masks")
    args = parser.parse_args()

    if args.golden is None:
        args.golden = HELDOUT if args.heldout else GOLDEN
    if args.regenerate:
        seed = args.seed + (1 if args.heldout else 0)
        count = args.count or (120 if args.heldout else 240)
        save(args.golden, golden_set(seed, count, heldout=args.heldout), seed, args.heldout)
        print(f"wrote {args.golden}")
    docs = load(args.golden)
    if args.count and not args.regenerate:
        docs = docs[:args.count]
    t0 = time.perf_counter()
    desensitize("当事人张三，住某某县。", use_model=True)  # loads the model once
    print(f"model load and first call: {(time.perf_counter() - t0) * 1000:.0f} ms")
    for doc in docs[:10]:  # warm-up
        desensitize(doc.text)
    base = run(docs, use_model=False, with_known=args.known)
    full = run(docs, use_model=True, with_known=args.known)
    chars = statistics.median(len(d.text) for d in docs)
    print(f"{len(docs)} decisions (median {chars:.0f} characters), context: {'known parties' if args.known else 'none'}")
    print(f"{'category':<14}{'recall':>22}{'target':>9}{'precision':>22}   rules only: recall")
    ok = True
    for cat in SENSITIVE:
        tot, fnd = full.total[cat], full.found[cat]
        msk, rgt = full.masks[cat], full.right[cat]
        rec = fnd / tot if tot else 1.0
        prec = rgt / msk if msk else 1.0
        target = TARGET_RECALL.get(cat)
        ok &= (target is None or rec >= target) and prec >= TARGET_PRECISION
        base_rec = base.found[cat] / tot if tot else 1.0
        print(f"{cat:<14}{f'{rec:.2%} ({fnd}/{tot})':>22}{f'{target:.1%}' if target else '—':>9}"
              f"{f'{prec:.2%} ({rgt}/{msk})':>22}   {base_rec:.2%}")
    for cat in PUBLIC:
        pub, kp = full.public[cat], full.kept[cat]
        print(f"kept public {cat:<14} {kp}/{pub} ({kp / pub if pub else 1:.2%})")
    times, btimes = full.times, base.times
    med, bmed = statistics.median(times) * 1000, statistics.median(btimes) * 1000
    print(f"time per decision: median {med:.1f} ms, p95 {pct(times, 0.95) * 1000:.1f} ms (target median < "
          f"{TARGET_MEDIAN_MS:.0f} ms); rules only median {bmed:.1f} ms; ratio {med / bmed:.1f}")
    cmed = statistics.median(full.cpu) * 1000
    print(f"CPU time per decision (this thread): median {cmed:.1f} ms; load average {Path('/proc/loadavg').read_text().split()[:3]}")
    ok &= med < TARGET_MEDIAN_MS
    if args.show:
        print("\n".join(["missed:", *full.misses, "wrong masks / masked public:", *full.false]))
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
