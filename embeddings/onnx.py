"""The default sentence-transformers model as an int8 ONNX graph, run by onnxruntime.

The same model as `embeddings.encoder.Encoder`, about twice as fast on a CPU, and with a process that never
imports torch or sentence-transformers at run time (onnxruntime, tokenizers and numpy only), which matters
for cold start. The graph is made once from the local weights -- exported from torch, then its weight
matrices dynamically quantised to int8, one scale per output channel -- and cached on disk, keyed by the
model's files and the recipe's version (`EXPORT_VERSION`). A missing graph is made on first use in a child
process, so the serving process still never loads torch; `python -m embeddings.onnx export` makes it ahead
of time (an install step).

Pooling and truncation follow the model's own sentence-transformers configuration: mean of the token
vectors under the attention mask, at most `max_seq_length` tokens, then unit length -- inner product is
cosine, as for every encoder here.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import (
    DEFAULT_MODEL_NAME,
    BaseEncoder,
    ModelId,
    default_model_path,
    normalize_rows,
    user_cache_dir,
)

# Bump when the export or quantisation recipe changes: cached graphs of another version are not used.
EXPORT_VERSION = 1
# The same for the graphs of an encoder with a fine-tuned head (`embeddings.finetuned`): their outputs.
HEAD_EXPORT_VERSION = 1
GRAPH_FILE = "model.int8.onnx"
META_FILE = "export.json"
# Whether int8 vectors may share a store (and the trained reranker / check-worthiness heads) with the torch
# model's: see `OnnxEncoder` for the measurements behind it.
SHARES_TORCH_SPACE = True
ONNX_SUFFIX = "+onnx-int8"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True, slots=True)
class ModelLayout:
    """Where a local sentence-transformers model keeps what the ONNX path needs."""

    root: Path
    transformer: Path  # the Hugging Face model: config.json, weights, tokenizer.json
    max_seq_length: int
    dim: int


def read_layout(model_dir: Path) -> ModelLayout:
    """Reads a sentence-transformers model directory and checks the ONNX path can reproduce it.

    Args:
        model_dir: The local model directory (modules.json, the transformer and a pooling module).

    Returns:
        The paths and the settings the encoder needs.

    Raises:
        RuntimeError: If the model is not a transformer followed by mean pooling, or has no fast tokenizer.
    """
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = {m["type"].rsplit(".", 1)[-1]: model_dir / m["path"] for m in modules}
    if "Transformer" not in kinds or "Pooling" not in kinds:
        raise RuntimeError(f"{model_dir}: the ONNX backend needs a Transformer and a Pooling module")
    unsupported = set(kinds) - {"Transformer", "Pooling", "Normalize"}
    if unsupported:
        raise RuntimeError(f"{model_dir}: the ONNX backend cannot run the modules {sorted(unsupported)}")
    transformer = kinds["Transformer"]
    pooling = json.loads((kinds["Pooling"] / "config.json").read_text(encoding="utf-8"))
    modes = {key for key, on in pooling.items() if key.startswith("pooling_mode_") and on is True}
    if modes != {"pooling_mode_mean_tokens"}:
        raise RuntimeError(f"{model_dir}: the ONNX backend only does mean pooling, the model asks for {sorted(modes)}")
    if not (transformer / "tokenizer.json").exists():
        raise RuntimeError(f"{model_dir}: the ONNX backend needs a fast tokenizer (tokenizer.json)")
    st_config_path = transformer / "sentence_bert_config.json"
    st_config = json.loads(st_config_path.read_text(encoding="utf-8")) if st_config_path.exists() else {}
    max_seq_length = int(st_config.get("max_seq_length") or 512)
    return ModelLayout(
        root=model_dir,
        transformer=transformer,
        max_seq_length=max_seq_length,
        dim=int(pooling["word_embedding_dimension"]),
    )


def model_fingerprint(layout: ModelLayout) -> str:
    """A short digest of the model's configuration files and weights (size, first and last MiB).

    Cheap enough to compute at every start (no full read of the weights), and it changes when another
    model or another release of the package is installed.
    """
    digest = hashlib.sha256()
    names = ["modules.json", "config.json", "tokenizer.json", "sentence_bert_config.json"]
    for path in [layout.root / n for n in names] + [layout.transformer / n for n in names]:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for name in _WEIGHT_FILES:
        path = layout.transformer / name
        if path.is_file():
            size = path.stat().st_size
            digest.update(f"{name}:{size}".encode())
            with path.open("rb") as handle:
                digest.update(handle.read(1 << 20))
                handle.seek(max(0, size - (1 << 20)))
                digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/crosscheck/onnx`` (``~/.cache/crosscheck/onnx``): shared by every data dir."""
    return user_cache_dir("onnx")


def head_digest(head: Path) -> str:
    """A short digest of a fine-tuned layers-and-head file (`embeddings.finetuned`): part of its graph's key."""
    return hashlib.sha256(head.read_bytes()).hexdigest()[:12]


def graph_path(*, model_name: str, layout: ModelLayout, cache_dir: Path, head: Path | None = None) -> Path:
    """Where the int8 graph of this model and recipe (with ``head``: of that classifier on it) lives in the cache."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)
    variant = "" if head is None else f"-head{HEAD_EXPORT_VERSION}-{head_digest(head)}"
    return cache_dir / f"{safe}-{model_fingerprint(layout)}-int8-v{EXPORT_VERSION}{variant}" / GRAPH_FILE


def export_int8(*, layout: ModelLayout, out: Path, head: Path | None = None) -> dict[str, Any]:
    """Exports the transformer from torch to ONNX and quantises its weights to int8, atomically.

    Needs torch, transformers, onnx and onnxruntime; run it in a child process (`ensure_graph`) or at install
    time, never in a serving process. The graph's output is the last hidden state: pooling stays in numpy.
    With ``head`` (a file of `embeddings.finetuned`), the graph has a second output, ``logit``, one per text:
    the file's fine-tuned top layers beside the model's own, then mean pooling and the linear head.

    Args:
        layout: The model.
        out: The graph file to write (its folder is created).
        head: Fine-tuned layers and head to export on top of the model.

    Returns:
        What was done and how long it took, also written next to the graph.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    start = time.perf_counter()
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    # Eager attention traces to plain MatMul/Softmax; the SDPA path adds NaN guards the graph does not need.
    model = AutoModel.from_pretrained(str(layout.transformer), local_files_only=True, attn_implementation="eager")
    model.eval()
    outputs = ["last_hidden_state"] if head is None else ["last_hidden_state", "logit"]

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    if head is None:
        module: torch.nn.Module = LastHiddenState(model)
    else:
        from embeddings.finetuned import classifier

        module = classifier(model, head)
    out.parent.mkdir(parents=True, exist_ok=True)
    sample = torch.ones((2, 16), dtype=torch.long)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        int8 = Path(tmp) / GRAPH_FILE
        axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
        if head is not None:
            axes["logit"] = {0: "batch"}
        # The TorchScript exporter: with torch 2.13 the dynamo exporter produced a graph whose outputs did not
        # match torch's (cosine about 0 on the CLEF claims), this one reproduces them exactly.
        with torch.no_grad():
            torch.onnx.export(
                module,
                (sample, sample, torch.zeros_like(sample)),
                str(fp32),
                dynamo=False,
                input_names=list(_INPUTS),
                output_names=outputs,
                dynamic_axes=axes,
                opset_version=17,
            )
        exported = time.perf_counter()
        # Only the weight matrices (MatMul), one scale per output channel: per-tensor scales (the default)
        # moved vectors 5x further (mean cosine 0.963 vs 0.993 to torch's on CLEF claims); the embedding table
        # stays float32 (47 MB more on disk and in memory, no speed cost). Measured on 1,000 CLEF claims.
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
        with int8.open("rb+") as handle:
            os.fsync(handle.fileno())
        meta = {
            "export_version": EXPORT_VERSION,
            "model": str(layout.root),
            "head": None if head is None else str(head),
            "torch": torch.__version__,
            "export_s": round(exported - start, 2),
            "quantize_s": round(time.perf_counter() - exported, 2),
            "bytes": int8.stat().st_size,
        }
        (Path(tmp) / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        os.replace(Path(tmp) / META_FILE, out.parent / META_FILE)
        os.replace(int8, out)  # last: the graph's presence means a finished export
    _fsync_dir(out.parent)
    return meta


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _export_lock(folder: Path) -> Iterator[None]:
    """One export at a time per graph, across processes (several API workers may start together)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_graph(*, model_dir: Path, model_name: str, cache_dir: Path, head: Path | None = None) -> Path:
    """The cached int8 graph of the model, exported first (in a child process) if it is missing.

    Args:
        model_dir: The local sentence-transformers model.
        model_name: Its name (part of the cache key, for people looking in the cache).
        cache_dir: The cache folder.
        head: Fine-tuned layers and head: the graph of that classifier (see `export_int8`).

    Returns:
        The graph file.

    Raises:
        RuntimeError: If the export fails; the message ends with the child's last lines of output.
    """
    layout = read_layout(model_dir)
    path = graph_path(model_name=model_name, layout=layout, cache_dir=cache_dir, head=head)
    if path.exists():
        return path
    with _export_lock(path.parent):
        if path.exists():  # another process exported it while this one waited
            return path
        command = [sys.executable, "-m", "embeddings.onnx", "export", "--model", str(model_dir), "--out", str(path)]
        command += [] if head is None else ["--head", str(head)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not path.exists():
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
            raise RuntimeError(f"ONNX export of {model_dir} failed (exit {done.returncode}):\n{tail}")
    return path


def open_session(graph: Path, *, threads: int) -> Any:
    """An onnxruntime CPU session of a graph made here, ``threads`` intra-op threads that sleep when idle."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle workers sleep instead of spinning, as OMP_WAIT_POLICY=PASSIVE does for torch and FAISS: on two
    # cores, spinning threads slow down the FAISS search and the other encoder running next to them.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


def load_tokenizer(layout: ModelLayout) -> Any:
    """The model's fast tokenizer, truncating at its ``max_seq_length`` and padding a batch to its longest text."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(layout.transformer / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=layout.max_seq_length)
    pad_token = tokenizer.padding["pad_token"] if tokenizer.padding else "[PAD]"
    pad_id = tokenizer.token_to_id(pad_token)
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)
    return tokenizer


class GraphRunner:
    """A graph made here, run over lists of texts: batches of similar lengths, side by side on worker threads.

    `OnnxEncoder` runs the encoder's graph with it, the check-worthiness scorer its fine-tuned classifier's.
    """

    def __init__(
        self,
        graph: Path,
        layout: ModelLayout,
        *,
        batch_size: int = 1,
        threads: int = 1,
        workers: int | None = None,
        name: str = "onnx-graph",
    ) -> None:
        """Opens the graph (see `OnnxEncoder` for what ``batch_size``, ``threads`` and ``workers`` mean)."""
        self.graph = graph
        self._session = open_session(graph, threads=threads)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = load_tokenizer(layout)
        self.batch_size = max(1, batch_size)
        self.threads = threads
        self.workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
        # Threads start on first use; idle ones cost nothing.
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=name)

    def run(
        self, texts: Sequence[str], reduce: Callable[[list[np.ndarray], np.ndarray], np.ndarray], out: np.ndarray
    ) -> None:
        """Sets ``out[i]`` to what ``reduce(outputs, attention_mask)`` makes of text i's row of a forward pass."""
        if not texts:
            return
        # Like sentence-transformers: batches of similar lengths pad less (longest first, so the side-by-side
        # workers finish together).
        order = np.argsort([-len(t) for t in texts], kind="stable")
        batches = [order[lo : lo + self.batch_size] for lo in range(0, len(texts), self.batch_size)]

        def forward(rows: np.ndarray) -> np.ndarray:
            return reduce(*self.forward([texts[i] for i in rows]))

        if len(batches) == 1 or self.workers == 1:
            results: Iterator[np.ndarray] = map(forward, batches)
        else:
            results = self._pool.map(forward, batches)
        for rows, values in zip(batches, results, strict=True):
            out[rows] = values

    def forward(self, texts: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
        """One forward pass over a batch of texts: (the graph's outputs, the attention mask)."""
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        # onnxruntime sessions accept concurrent run() calls: no lock, unlike the torch encoder.
        outputs = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
        return list(outputs), mask


def mean_pool(outputs: list[np.ndarray], mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors (the first output) under the attention mask (sentence-transformers' pooling)."""
    hidden = outputs[0]
    weights = mask.astype(np.float32)
    summed = np.einsum("bld,bl->bd", hidden.astype(np.float32, copy=False), weights)
    return np.asarray(summed / np.clip(weights.sum(axis=1, keepdims=True), 1e-9, None))


class OnnxEncoder(BaseEncoder):
    """all-MiniLM-L6-v2 (or another mean-pooled sentence-transformers model) as an int8 ONNX graph.

    Vector space (bench/onnx_encoder.py, the 10,375 CLEF2020 fact-checked claims): the int8 vectors keep a
    cosine of 0.994 on average, 0.984 at worst, to the torch model's, and 88% of a claim's 10 nearest claims;
    CLEF2020 dev MAP@5 moves by -0.002 (dense) and +0.002 (hybrid) with int8 store and queries, and by -0.002 /
    +0.001 with a torch-made store queried through int8 -- below the noise of 197 queries. So, with
    `SHARES_TORCH_SPACE`, the encoder reports the torch model's id: a store made with one backend is served by
    the other without re-encoding, and the reranker and check-worthiness heads trained on torch vectors stay
    in use. Otherwise the id gets `+onnx-int8` and such stores refuse to open.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 1,
        threads: int = 1,
        workers: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """Loads (making it first if needed) the int8 graph and the tokenizer.

        Args:
            model: A local sentence-transformers model directory; ``None`` means the packaged all-MiniLM-L6-v2.
            batch_size: Sentences per forward pass. With 1 (the default) a text's vector depends on that text
                alone: the int8 graph quantises its activations with one scale per pass, so in a batch of
                several a vector moves with its neighbours (cosine 0.992 on average to the same text alone).
            threads: onnxruntime intra-op threads of one forward pass (bench/onnx_encoder.py measures 1 vs 2).
            workers: Python threads that run forward passes side by side for a list of texts (the session
                is thread-safe and releases the GIL); default: up to two, as many as there are CPUs.
            cache_dir: Where the graph is cached; default `default_cache_dir()`.
        """
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if model is None:
            model_dir, name = default_model_path(), DEFAULT_MODEL_NAME
        else:
            model_dir = Path(model)
            name = model_dir.name
        layout = read_layout(model_dir)
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.graph = ensure_graph(model_dir=model_dir, model_name=name, cache_dir=cache)

        self._runner = GraphRunner(
            self.graph, layout, batch_size=batch_size, threads=threads, workers=workers, name="onnx-encoder"
        )
        self.layout = layout
        self.model_name = name
        self.cache_dir = cache
        self.threads = threads
        self.workers = self._runner.workers
        self.batch_size = self._runner.batch_size
        self.max_seq_length = layout.max_seq_length
        suffix = "" if SHARES_TORCH_SPACE else ONNX_SUFFIX
        super().__init__(ModelId(name=f"{name}{suffix}", dim=layout.dim))

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._model_id.dim), dtype=np.float32)
        self._runner.run(texts, mean_pool, out)
        return normalize_rows(out)


def shipped_heads(layout: ModelLayout) -> list[Path]:
    """The fine-tuned classifiers shipped with the service for this base model (the check-worthiness one)."""
    # The service owns its trained files; the install step builds their graphs beside the encoder's.
    from service.checkworthiness import finetuned_head

    head = finetuned_head(layout)
    return [] if head is None else [head]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m embeddings.onnx export [--model DIR] [--head FILE] [--out FILE | --cache-dir DIR]`: make the
    int8 graph, and the graphs of the classifiers shipped for that model (with --head: only that classifier's)."""
    parser = argparse.ArgumentParser(prog="python -m embeddings.onnx", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="export and quantise the model (skipped if cached, unless --out)")
    export.add_argument("--model", type=Path, default=None, help="model directory (default: packaged MiniLM)")
    export.add_argument("--head", type=Path, default=None, help="fine-tuned layers and head (embeddings.finetuned)")
    export.add_argument("--out", type=Path, default=None, help="graph file to write (always re-exports)")
    export.add_argument("--cache-dir", type=Path, default=None, help="cache folder (default: user cache)")
    args = parser.parse_args(argv)
    model_dir = args.model or default_model_path()
    layout = read_layout(model_dir)
    if args.out is not None:
        print(json.dumps({"graph": str(args.out), **export_int8(layout=layout, out=args.out, head=args.head)}))
        return 0
    name = DEFAULT_MODEL_NAME if args.model is None else model_dir.name
    cache_dir = args.cache_dir or default_cache_dir()
    heads: list[Path | None] = [args.head] if args.head is not None else [None, *shipped_heads(layout)]
    for head in heads:
        start = time.perf_counter()
        path = ensure_graph(model_dir=model_dir, model_name=name, cache_dir=cache_dir, head=head)
        print(json.dumps({"graph": str(path), "seconds": round(time.perf_counter() - start, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
