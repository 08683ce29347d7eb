"""bench/train_checkworthiness.py --finetuned: what training saves is what the export runs, and the split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel

from bench.train_checkworthiness import SEED, split_finetune, train_finetuned
from embeddings.encoder import default_model_path
from embeddings.finetuned import classifier
from embeddings.onnx import load_tokenizer, read_layout

# Made up for this test: figures and records against talk.
FACTS = [
    "The county built 14 new bridges between 2019 and 2023.",
    "Bus fares went up by 8% in March, the second rise this year.",
    "The dam holds 2.1 billion cubic metres of water when full.",
    "Exports of timber fell to 3,400 tonnes last quarter.",
    "The school district employs 1,150 teachers across 31 schools.",
    "Average rent in the old town doubled in five years.",
]
TALK = [
    "Good evening and welcome, everyone.",
    "I am so glad to be back in this wonderful city.",
    "Let me say one more thing about that.",
    "Thank you, that is a very good question.",
    "We will see what happens next.",
    "I think people are tired of all this.",
]


def test_split_keeps_the_lrs_held_out_fifth_apart() -> None:
    y = np.array([1, 0, 0, 0] * 50 + [1, 0])
    is_cb = np.array([True] * 200 + [False] * 2)
    train, validation, held = split_finetune(y, is_cb)
    assert len(held) == 40 and y[held].sum() == 10  # stratified fifth
    assert not set(train) & set(validation) and not set(held) & (set(train) | set(validation))
    assert set(train) | set(validation) | set(held) == set(range(200))  # the gold claims are in none
    np.testing.assert_array_equal(held, split_finetune(y, is_cb)[2])  # fixed seed
    assert SEED == 20250428  # the LR's: both report on the same fifth


def test_training_writes_layers_the_export_loads(tmp_path: Path) -> None:
    texts = FACTS + TALK
    y = np.array([1] * len(FACTS) + [0] * len(TALK))
    index = np.arange(len(texts))
    out = tmp_path / "head.npz"
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        info = train_finetuned(texts, y, index[::2], index[1::2], out, layers=1, epochs=2)
    finally:  # training sets both for the whole process
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    assert info["layers"] == 1 and [e["epoch"] for e in info["per_epoch"]] == [1, 2]
    assert info["chosen_epoch"] in (1, 2) and info["train_sentences"] == 6
    stored = np.load(out)
    assert {k.split(".")[1] for k in stored.files if k.startswith("layer.")} == {"5"}  # the top layer only
    assert stored["head.weight"].shape == (1, 384)

    layout = read_layout(default_model_path())
    base = AutoModel.from_pretrained(str(layout.transformer), local_files_only=True, attn_implementation="eager")
    module = classifier(base.eval(), out)
    ids = torch.tensor([load_tokenizer(layout).encode(texts[0]).ids])
    with torch.no_grad():
        hidden, logit = module(ids, torch.ones_like(ids), torch.zeros_like(ids))
    assert hidden.shape == (1, ids.shape[1], 384) and logit.shape == (1,)
