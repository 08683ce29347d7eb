"""The int8 ONNX backend: same vectors as torch within quantisation error, no torch at run time, chosen by config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from embeddings import DEFAULT_MODEL_NAME, Encoder, ModelId, load_encoder
from embeddings import encoder as encoder_module
from embeddings import onnx as onnx_backend
from embeddings.encoder import default_model_path
from embeddings.onnx import OnnxEncoder, default_cache_dir, graph_path, model_fingerprint, read_layout
from service.checkworthiness import FINETUNED_PATH, FinetunedGraph
from service.config import Settings
from service.runtime import Runtime

REPO_ROOT = Path(__file__).resolve().parents[2]

SENTENCES = [
    "North Korea sent more than 10,000 soldiers to Kursk",
    "Pyongyang deployed over ten thousand troops to the Kursk region, officials in Seoul said on Monday.",
    "The central bank kept its interest rate unchanged at 4.5 per cent.",
    "Ukraine's army said it still held positions near Sudzha despite the Russian counter-offensive.",
    # Longer than the model's 256-token window: both backends must cut it at the same place.
    "The harbour bridge opened on Friday after four years of work. " * 40,
]


@pytest.fixture(scope="module")
def onnx_encoder() -> OnnxEncoder:
    """The int8 graph of the packaged model (exported into the user cache on first use, then reused)."""
    return OnnxEncoder()


def test_vectors_are_close_to_torch(onnx_encoder: OnnxEncoder, real_encoder: Encoder) -> None:
    ours = onnx_encoder.encode_documents(SENTENCES)
    reference = real_encoder.encode_documents(SENTENCES)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= 0.98, cosines
    # Close is not enough if everything is close: the paraphrase must stay nearer than the unrelated sentence.
    assert ours[0] @ ours[1] > 0.6 > ours[0] @ ours[2]


def test_unit_float32_rows_of_the_model_dimension(onnx_encoder: OnnxEncoder) -> None:
    vectors = onnx_encoder.encode_queries(SENTENCES)
    assert vectors.dtype == np.float32 and vectors.shape == (len(SENTENCES), 384)
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # One sentence per pass: a text's vector depends on that text alone, not on the others in the call.
    alone = onnx_encoder.encode_documents(SENTENCES[2:3])
    np.testing.assert_allclose(alone[0], vectors[2], atol=1e-6)


def test_batched_passes_stay_close(onnx_encoder: OnnxEncoder) -> None:
    batched = OnnxEncoder(batch_size=4, workers=1)
    vectors = batched.encode_documents(SENTENCES)
    assert vectors.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The int8 graph quantises activations per pass, so neighbours move a vector a little, never far.
    assert np.sum(vectors * onnx_encoder.encode_documents(SENTENCES), axis=1).min() >= 0.98


def test_empty_inputs(onnx_encoder: OnnxEncoder) -> None:
    assert onnx_encoder.encode_documents([]).shape == (0, 384)
    assert onnx_encoder.encode_queries([]).dtype == np.float32
    blank = onnx_encoder.encode_documents([""])
    np.testing.assert_allclose(np.linalg.norm(blank, axis=1), 1.0, atol=1e-5)


def test_model_id_follows_the_vector_space_decision(onnx_encoder: OnnxEncoder) -> None:
    expected = DEFAULT_MODEL_NAME if onnx_backend.SHARES_TORCH_SPACE else DEFAULT_MODEL_NAME + onnx_backend.ONNX_SUFFIX
    assert onnx_encoder.model_id == ModelId(expected, 384)
    assert onnx_encoder.max_seq_length == 256
    assert onnx_encoder.documents_encoded >= 0 and onnx_encoder.queries_encoded >= 0


def test_runtime_path_never_imports_torch(onnx_encoder: OnnxEncoder) -> None:
    # The graph is cached by the fixture, so the child process only loads it.
    script = (
        "import sys\n"
        "from embeddings import load_encoder\n"
        "vectors = load_encoder(backend='onnx').encode_queries(['a claim'])\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers')\n"
        "print(vectors.shape, sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert done.stdout.strip().splitlines()[-1] == "(1, 384) []"


def test_backend_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CROSSCHECK_ENCODER_BACKEND", raising=False)
    assert Settings().encoder_backend == "onnx"
    monkeypatch.setenv("CROSSCHECK_ENCODER_BACKEND", "torch")
    assert Settings().encoder_backend == "torch"
    monkeypatch.setenv("CROSSCHECK_ENCODER_BACKEND", "tensorflow")
    with pytest.raises(ValidationError, match="encoder_backend"):
        Settings()
    with pytest.raises(ValueError, match="unknown encoder backend"):
        load_encoder(backend="tensorflow")


def test_runtime_loads_the_configured_backend(
    onnx_encoder: OnnxEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[object] = []

    def shared_encoder(model: object = None, **_: object) -> OnnxEncoder:
        made.append(model)
        return onnx_encoder

    monkeypatch.setattr(onnx_backend, "OnnxEncoder", shared_encoder)
    settings = Settings(data_dir=tmp_path / "data", encoder_backend="onnx", multilingual=False)
    runtime = Runtime.open(settings, extra_encoders={})
    try:
        assert runtime.encoder is onnx_encoder and made == [None]
    finally:
        runtime.close()


def test_torch_stands_in_when_the_graph_cannot_be_made(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_graph(model: object = None, **_: object) -> OnnxEncoder:
        raise RuntimeError("ONNX export failed")

    stand_in = object()
    monkeypatch.setattr(onnx_backend, "OnnxEncoder", no_graph)
    monkeypatch.setattr(encoder_module, "Encoder", lambda model=None: stand_in)
    monkeypatch.setattr(onnx_backend, "SHARES_TORCH_SPACE", True)
    assert load_encoder(backend="onnx") is stand_in
    # With vector spaces apart, torch vectors would not fit the store: the failure must surface instead.
    monkeypatch.setattr(onnx_backend, "SHARES_TORCH_SPACE", False)
    with pytest.raises(RuntimeError, match="ONNX export failed"):
        load_encoder(backend="onnx")


def _fake_model(root: Path, *, pooling: str = "pooling_mode_mean_tokens", weights: bytes = b"w" * 100) -> Path:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (root / "1_Pooling").mkdir(parents=True, exist_ok=True)
    (root / "modules.json").write_text(json.dumps(modules))
    (root / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 8, pooling: True}))
    (root / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64}))
    (root / "config.json").write_text("{}")
    (root / "tokenizer.json").write_text("{}")
    (root / "model.safetensors").write_bytes(weights)
    return root


def test_layout_is_read_from_the_sentence_transformers_config(tmp_path: Path) -> None:
    layout = read_layout(_fake_model(tmp_path / "mean"))
    assert (layout.dim, layout.max_seq_length, layout.transformer) == (8, 64, tmp_path / "mean")
    with pytest.raises(RuntimeError, match="only does mean pooling"):
        read_layout(_fake_model(tmp_path / "cls", pooling="pooling_mode_cls_token"))
    (tmp_path / "mean" / "tokenizer.json").unlink()
    with pytest.raises(RuntimeError, match=r"tokenizer\.json"):
        read_layout(tmp_path / "mean")


def test_cache_key_changes_with_the_weights(tmp_path: Path) -> None:
    first = read_layout(_fake_model(tmp_path / "a"))
    same = read_layout(_fake_model(tmp_path / "b"))
    other = read_layout(_fake_model(tmp_path / "c", weights=b"v" * 100))
    assert model_fingerprint(first) == model_fingerprint(same) != model_fingerprint(other)
    path = graph_path(model_name="m/x", layout=first, cache_dir=tmp_path / "cache")
    assert path.parent.parent == tmp_path / "cache" and path.name == onnx_backend.GRAPH_FILE
    assert f"-v{onnx_backend.EXPORT_VERSION}" in path.parent.name and "/" not in path.parent.name


def test_a_classifier_graph_has_its_own_key_per_head_file(tmp_path: Path) -> None:
    layout = read_layout(_fake_model(tmp_path / "a"))
    (tmp_path / "one.npz").write_bytes(b"one")
    (tmp_path / "two.npz").write_bytes(b"two")
    paths = {
        graph_path(model_name="m", layout=layout, cache_dir=tmp_path, head=head)
        for head in (None, tmp_path / "one.npz", tmp_path / "two.npz")
    }
    assert len(paths) == 3
    assert len({p.parent.name.split("-head")[0] for p in paths}) == 1  # same model, same recipe


def test_export_builds_the_checkworthiness_graph_beside_the_encoders(
    onnx_encoder: OnnxEncoder, capsys: pytest.CaptureFixture[str]
) -> None:
    # `python -m embeddings.onnx export`, the install step: the encoder's graph, then the fine-tuned classifier's
    # (made here if the cache does not have it yet).
    assert onnx_backend.main(["export"]) == 0
    graphs = [Path(json.loads(line)["graph"]) for line in capsys.readouterr().out.splitlines()]
    layout = read_layout(default_model_path())
    expected = graph_path(
        model_name=DEFAULT_MODEL_NAME, layout=layout, cache_dir=default_cache_dir(), head=FINETUNED_PATH
    )
    assert graphs == [onnx_encoder.graph, expected]
    assert expected.is_file() and f"-head{onnx_backend.HEAD_EXPORT_VERSION}-" in expected.parent.name
    meta = json.loads((expected.parent / onnx_backend.META_FILE).read_text(encoding="utf-8"))
    # Keyed by the file's content: whichever copy of the package built it (its path is only a note).
    assert Path(meta["head"]).name == FINETUNED_PATH.name


def test_the_classifier_graph_computes_what_torch_does(onnx_encoder: OnnxEncoder) -> None:
    import torch
    from transformers import AutoModel

    from embeddings.finetuned import classifier

    layout = read_layout(default_model_path())
    path = onnx_backend.ensure_graph(
        model_dir=layout.root, model_name=DEFAULT_MODEL_NAME, cache_dir=default_cache_dir(), head=FINETUNED_PATH
    )
    texts = SENTENCES[:4]
    vectors, ours = FinetunedGraph(path, layout).encode(texts)
    # The graph's first output is the encoder's: the same vectors as the encoder's own graph.
    np.testing.assert_allclose(vectors, onnx_encoder.encode_documents(texts), atol=1e-5)

    def base() -> torch.nn.Module:
        return AutoModel.from_pretrained(str(layout.transformer), local_files_only=True, attn_implementation="eager")

    plain, torch_classifier = base().eval(), classifier(base(), FINETUNED_PATH)
    tokenizer = onnx_backend.load_tokenizer(layout)
    reference = []
    with torch.no_grad():
        for text in texts:
            ids = torch.tensor([tokenizer.encode(text).ids])
            hidden, logit = torch_classifier(ids, torch.ones_like(ids), torch.zeros_like(ids))
            reference.append(float(logit[0]))
            # Beside the fine-tuned layers, the base model's own top layers are untouched.
            torch.testing.assert_close(hidden, plain(input_ids=ids).last_hidden_state)
    # int8 weights and activations move a logit a little, never across the board.
    assert np.abs(ours - np.array(reference)).max() < 0.5, (ours, reference)
    assert np.corrcoef(ours, reference)[0, 1] > 0.95


def test_a_failed_export_is_reported_and_leaves_no_graph(tmp_path: Path) -> None:
    # Junk weights: the child process fails to load the model, and no graph may appear in the cache.
    model_dir = _fake_model(tmp_path / "broken")
    with pytest.raises(RuntimeError, match=r"ONNX export of .* failed"):
        onnx_backend.ensure_graph(model_dir=model_dir, model_name="broken", cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.onnx"))
