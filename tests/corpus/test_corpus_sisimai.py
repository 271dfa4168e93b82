"""Sisimai bounce set: bounces are classified bounce (recall >= 98 %), the negatives are not."""

from __future__ import annotations

import json

import pytest

from quotemaild.mail.classify import classify
from quotemaild.mail.parse import parse_message

RECALL_FLOOR = 0.98
NOT_BOUNCES = ("rfc3834-", "arf-")  # auto-replies / vacation and ARF feedback reports


@pytest.mark.corpus
def test_sisimai_bounce_recall(corpus_dir):
    """Every maildir/bsd bounce except the RFC 3834 and ARF ones is classified bounce."""
    root = corpus_dir / "sisimai-set-of-emails"
    expected = json.loads((root / "expected" / "sisimai-expected.json").read_text(encoding="utf-8"))["files"]
    total = hits = status_known = status_ok = delivered = delivered_hits = 0
    misses: list[str] = []
    for path in sorted((root / "maildir" / "bsd").glob("*.eml")):
        if path.name.startswith(NOT_BOUNCES):
            continue
        total += 1
        verdict = classify(parse_message(path.read_bytes()))
        if verdict.kind in ("bounce", "system"):  # system: M365 AS(7555) NDRs are bounces shown as hints
            hits += 1
        else:
            misses.append(f"{path.name}: {verdict.kind} {verdict.reasons}")
        reasons = {r["reason"] for r in expected.get(path.name, {}).get("recipients", [])}
        if reasons == {"delivered"}:  # SES "Delivery" notifications: not failures at all
            delivered += 1
            delivered_hits += verdict.kind == "bounce"
        want = {r["status"] for r in expected.get(path.name, {}).get("recipients", []) if r.get("status")}
        if want and verdict.bounce is not None:
            status_known += 1
            status_ok += verdict.bounce.status in want
    recall = hits / total
    summary = (
        f"sisimai bounces: recall {hits}/{total} = {recall:.1%}; "
        f"DSN status matches sisimai {status_ok}/{status_known}; "
        f"without the {delivered} success notifications (sisimai 'delivered'): "
        f"{hits - delivered_hits}/{total - delivered} = {(hits - delivered_hits) / (total - delivered):.1%}"
    )
    print(summary)
    assert recall >= RECALL_FLOOR, summary + "\n" + "\n".join(misses)


@pytest.mark.corpus
def test_sisimai_auto_replies_and_feedback_are_machine_mail(corpus_dir):
    """RFC 3834 vacation mails are out-of-office/auto-reply and ARF reports are auto-reply, never human."""
    root = corpus_dir / "sisimai-set-of-emails" / "maildir" / "bsd"
    kinds: dict[str, str] = {}
    for path in sorted(root.glob("*.eml")):
        if path.name.startswith(NOT_BOUNCES):
            kinds[path.name] = classify(parse_message(path.read_bytes())).kind
    machine = [n for n, k in kinds.items() if k in ("auto_reply", "out_of_office")]
    summary = f"sisimai rfc3834+arf: machine mail {len(machine)}/{len(kinds)}: " + ", ".join(
        f"{n}={k}" for n, k in kinds.items() if n not in machine
    )
    print(summary)
    assert not [n for n, k in kinds.items() if k == "human"], summary


@pytest.mark.corpus
def test_sisimai_negatives_are_not_bounces(corpus_dir):
    """The maildir/not samples are not bounces."""
    root = corpus_dir / "sisimai-set-of-emails" / "maildir" / "not"
    results = {p.name: classify(parse_message(p.read_bytes())) for p in sorted(root.glob("*.eml"))}
    summary = "sisimai negatives: " + ", ".join(f"{n}={v.kind}" for n, v in results.items())
    print(summary)
    assert results and all(v.kind != "bounce" for v in results.values()), summary
