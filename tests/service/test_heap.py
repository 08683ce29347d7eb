"""A server start settles the heap: lazily loaded models loaded, start-up objects frozen, rarer collections."""

from __future__ import annotations

import gc

from service.main import GC_THRESHOLDS
from service.text import langid
from tests.helpers import HashingEncoder


def test_server_start_freezes_the_start_up_heap(make_client) -> None:
    with make_client(HashingEncoder(), multilingual=False) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 10_000  # the models' and the language model's objects
        assert langid._model is not None  # loaded before serving, not by the first match
