"""Corpus fixtures: the shared dev corpus is used in place (../shared/corpus beside the repo root)."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "INDEX.md").is_file():
        pytest.skip(f"shared corpus not found at {CORPUS} (expected ../shared/corpus beside the repo root)")
    return CORPUS
