"""The JSON columns' serializer writes exactly what `json.dumps` writes, empties included."""

from __future__ import annotations

import json

import pytest

from quotemaild.store.db import json_text


@pytest.mark.parametrize("value", [
    [], {}, None, 0, 0.0, "", False, [[]], {"a": []}, [{"name": "Jan", "address": "jan@example.be"}],
    {"kind_reasons": [], "robot": {"score": 0.25}}, "é", ["\x00"],
])  # fmt: skip
def test_same_text_as_json_dumps(value: object) -> None:
    assert json_text(value) == json.dumps(value)

