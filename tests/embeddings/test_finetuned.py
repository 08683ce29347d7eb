"""embeddings/finetuned.py: the layers and head saved at training are what the exported classifier computes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from transformers import AutoModel

from embeddings.encoder import default_model_path
from embeddings.finetuned import TopLayers, classifier, save_head, top_layer_indices
from embeddings.onnx import ModelLayout, load_tokenizer, read_layout


@pytest.fixture(scope="module")
def layout() -> ModelLayout:
    return read_layout(default_model_path())


def _base(layout: ModelLayout) -> Any:
    model = AutoModel.from_pretrained(str(layout.transformer), local_files_only=True, attn_implementation="eager")
    return model.eval()


def test_the_classifier_computes_what_training_computed(layout: ModelLayout, tmp_path: Path) -> None:
    base = _base(layout)
    indices = top_layer_indices(base, 2)
    assert list(indices) == [4, 5]
    torch.manual_seed(3)
    top = TopLayers(copy.deepcopy(base.encoder.layer[indices.start :]), indices.start, 384).eval()
    with torch.no_grad():  # "trained": away from the base model's weights
        for parameter in top.parameters():
            parameter.add_(0.02 * torch.randn_like(parameter))
    save_head(top, tmp_path / "head.npz")

    tokenizer = load_tokenizer(layout)
    encodings = tokenizer.encode_batch(["A short one.", "The harbour authority counted 312 ships in May, a record."])
    ids = torch.tensor([e.ids for e in encodings])
    mask = torch.tensor([e.attention_mask for e in encodings])
    zeros = torch.zeros_like(ids)
    with torch.no_grad():
        # Training: the frozen bottom's output, then the tuned layers and the head.
        bottom = base(input_ids=ids, attention_mask=mask, token_type_ids=zeros, output_hidden_states=True)
        expected = top(bottom.hidden_states[indices.start], mask)
        plain = bottom.last_hidden_state
        hidden, logit = classifier(base, tmp_path / "head.npz")(ids, mask, zeros)
    # float16 storage of the layers: close, not equal.
    torch.testing.assert_close(logit, expected, atol=2e-2, rtol=0)
    assert logit.shape == (2,) and not torch.allclose(expected[0], expected[1])
    # The base model's own top layers are left as they were: its output is still the encoder's.
    torch.testing.assert_close(hidden, plain)


def test_layers_that_are_not_the_top_ones_are_refused(layout: ModelLayout, tmp_path: Path) -> None:
    base = _base(layout)
    top = TopLayers(copy.deepcopy(base.encoder.layer[2:3]), 2, 384)
    save_head(top, tmp_path / "middle.npz")
    assert {k.split(".")[1] for k in np.load(tmp_path / "middle.npz").files if k.startswith("layer.")} == {"2"}
    with pytest.raises(ValueError, match="not the top layers"):
        classifier(base, tmp_path / "middle.npz")


def test_int8_storage_is_half_the_size_and_close(layout: ModelLayout, tmp_path: Path) -> None:
    base = _base(layout)
    top = TopLayers(copy.deepcopy(base.encoder.layer[4:]), 4, 384)
    save_head(top, tmp_path / "fp16.npz")
    save_head(top, tmp_path / "int8.npz", int8=True)
    assert (tmp_path / "int8.npz").stat().st_size < 0.6 * (tmp_path / "fp16.npz").stat().st_size
    ids = torch.tensor([load_tokenizer(layout).encode("Rainfall in April was 40% above the average.").ids])
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    with torch.no_grad():
        fp16 = classifier(_base(layout), tmp_path / "fp16.npz")(*args)[1]
        int8 = classifier(_base(layout), tmp_path / "int8.npz")(*args)[1]
    torch.testing.assert_close(int8, fp16, atol=0.05, rtol=0)
