"""A sentence classifier made of the packaged encoder: its top layers fine-tuned, then mean pooling and a linear head.

The shipped file (an ``.npz``) holds only what training changed: the top transformer layers, in float16, and the
head; the frozen bottom comes from the base model installed with the package, so the file stays a few MB. Torch is
needed here (training, and the ONNX export at install); a serving process only runs the exported graph.

File layout: ``layer.<index>.<parameter>`` for each fine-tuned layer (index in the base model's numbering),
``head.weight`` (1, dim) and ``head.bias`` (1,) in float32; int8 weight matrices have their per-row scales
beside them (see `save_head`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
    "HEAD_PREFIX",
    "LAYER_PREFIX",
    "SCALE_SUFFIX",
    "TopLayers",
    "classifier",
    "mean_pool",
    "save_head",
    "top_layer_indices",
]

LAYER_PREFIX = "layer."
HEAD_PREFIX = "head."
SCALE_SUFFIX = ":scale"


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token vectors under the attention mask (sentence-transformers' pooling, as the encoder does)."""
    weights = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


class TopLayers(torch.nn.Module):
    """The fine-tuned part: the top transformer layers, mean pooling and a linear head (one logit per text).

    Its input is the frozen bottom's output, so training can compute that once and reuse it every epoch.
    """

    def __init__(self, layers: torch.nn.ModuleList, first: int, dim: int) -> None:
        super().__init__()
        self.layers = layers
        self.first = first  # the base model's index of layers[0]
        self.head = torch.nn.Linear(dim, 1)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Eager attention's additive mask: 0 on tokens, a large negative number on padding.
        additive = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        for layer in self.layers:
            out = layer(hidden, attention_mask=additive)
            hidden = out[0] if isinstance(out, tuple) else out
        return self.head(mean_pool(hidden, mask)).squeeze(-1)


def top_layer_indices(base: Any, n_top: int) -> range:
    """The base model's indices of its top ``n_top`` transformer layers."""
    total = len(base.encoder.layer)
    if not 0 < n_top <= total:
        raise ValueError(f"cannot fine-tune {n_top} of {total} layers")
    return range(total - n_top, total)


def save_head(top: TopLayers, path: Path, *, int8: bool = False) -> None:
    """Writes the fine-tuned layers (float16) and the head (float32) of ``top`` to ``path`` (an .npz).

    With ``int8``, the layers' weight matrices are int8 with one float32 scale per output row (key suffix
    ``SCALE_SUFFIX``): half the size, and no further loss in the exported graph, whose quantiser picks the same
    per-output-channel scales.
    """
    arrays: dict[str, np.ndarray] = {}
    for offset, layer in enumerate(top.layers):
        for name, value in layer.state_dict().items():
            key = f"{LAYER_PREFIX}{top.first + offset}.{name}"
            array = value.detach().cpu().numpy()
            if int8 and array.ndim == 2:
                scale = np.abs(array).max(axis=1, keepdims=True) / 127.0
                scale[scale == 0] = 1.0
                arrays[key] = np.round(array / scale).astype(np.int8)
                arrays[key + SCALE_SUFFIX] = scale.astype(np.float32)
            else:
                arrays[key] = array.astype(np.float16)
    for name, value in top.head.state_dict().items():
        arrays[f"{HEAD_PREFIX}{name}"] = value.detach().cpu().numpy().astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(handle, allow_pickle=False, **arrays)


def classifier(base: Any, path: Path) -> torch.nn.Module:
    """The base model and, beside its top layers, the shipped fine-tuned ones with the head: one graph, two outputs.

    The bottom layers run once for both: the base model's last hidden state (what the encoder pools into the
    sentence vector) and the classifier's logit come out of the same pass, so an ingest that needs both pays for
    the fine-tuned layers only, not for a second encoder.

    Args:
        base: The Hugging Face base model (all layers, the original weights; left unchanged).
        path: A file written by `save_head`.

    Returns:
        A module ``(input_ids, attention_mask, token_type_ids) -> (last_hidden_state, logit)``, the logit of
        shape (batch,).

    Raises:
        ValueError: If the file's layers are not the base model's top layers.
    """
    data = np.load(path, allow_pickle=False)
    states: dict[int, dict[str, torch.Tensor]] = {}
    for key in data.files:
        if key.startswith(LAYER_PREFIX) and not key.endswith(SCALE_SUFFIX):
            index, name = key[len(LAYER_PREFIX) :].split(".", 1)
            value = data[key].astype(np.float32)
            if data[key].dtype == np.int8:
                value = value * data[key + SCALE_SUFFIX]
            states.setdefault(int(index), {})[name] = torch.from_numpy(value)
    indices = top_layer_indices(base, len(states))
    if sorted(states) != list(indices):
        raise ValueError(f"{path}: layers {sorted(states)} are not the top layers {list(indices)} of the base model")
    tuned = torch.nn.ModuleList(copy.deepcopy(base.encoder.layer[i]) for i in indices)
    for layer, index in zip(tuned, indices, strict=True):
        layer.load_state_dict(states[index], strict=True)
    top = TopLayers(tuned, indices.start, int(base.config.hidden_size))
    top.head.load_state_dict({name: torch.from_numpy(data[f"{HEAD_PREFIX}{name}"]) for name in ("weight", "bias")})

    class EncoderWithHead(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base = base
            self.top = top

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.base(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                output_hidden_states=True,
            )
            return out.last_hidden_state, self.top(out.hidden_states[self.top.first], attention_mask)

    return EncoderWithHead().eval()
