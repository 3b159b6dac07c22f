"""Document rendering benchmark (ADR 0013): PDF render time per document over every document type.

Prints the first render of the process (includes loading and subsetting the CJK fonts) separately, then the
median and p95 of the warm renders (every type, --rounds times), plus DOCX rendering and PDF signing for scale.
Target: warm median <= 0.5 s.

Run: .venv/bin/python bench/documents.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()
    from django.conf import settings

    from zhifa.documents import rendering, signing
    from zhifa.documents.samples import all_samples

    samples = all_samples()
    for context in samples.values():
        context["number"] = "临水测〔2026〕1号"

    first_code = "penalty_decision"
    start = time.perf_counter()
    rendering.render_pdf(first_code, samples[first_code])
    first = time.perf_counter() - start

    pdf_times: list[float] = []
    per_type: dict[str, list[float]] = {}
    for _round in range(args.rounds):
        for code, context in samples.items():
            start = time.perf_counter()
            rendering.render_pdf(code, context)
            elapsed = time.perf_counter() - start
            pdf_times.append(elapsed)
            per_type.setdefault(code, []).append(elapsed)

    docx_times = []
    for code, context in samples.items():
        start = time.perf_counter()
        rendering.render_docx(code, context)
        docx_times.append(time.perf_counter() - start)

    pdf = rendering.render_pdf(first_code, samples[first_code])
    with tempfile.TemporaryDirectory() as folder:
        settings.ZHIFA_SEAL_DIR = Path(folder)
        agency = SimpleNamespace(public_id=uuid.uuid4(), name="临湘市水利局", uscc="")
        signing.sign_pdf(pdf, agency=agency, reason="行政处罚决定书签章")  # creates the seal key
        sign_times = []
        for _ in range(5):
            start = time.perf_counter()
            signing.sign_pdf(pdf, agency=agency, reason="行政处罚决定书签章")
            sign_times.append(time.perf_counter() - start)

    median = statistics.median(pdf_times)
    print(f"document types: {len(samples)}; warm PDF renders: {len(pdf_times)}")
    print(f"first PDF render (cold, font loading included): {first:.3f} s")
    print(f"warm PDF render: median {median:.3f} s, p95 {pct(pdf_times, 0.95):.3f} s, max {max(pdf_times):.3f} s")
    slowest = sorted(per_type.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
    print("slowest types (median): " + ", ".join(f"{c} {statistics.median(v):.3f} s" for c, v in slowest))
    print(f"DOCX render: median {statistics.median(docx_times):.3f} s, p95 {pct(docx_times, 0.95):.3f} s")
    print(f"PDF signing (pyHanko, ECDSA P-256): median {statistics.median(sign_times):.3f} s")
    ok = median <= 0.5
    print(f"target warm median <= 0.5 s: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
