"""Real-client fixtures: requester of forwards and robot/human verdict of answers, per client and language.

The builder in tests/mailfixtures writes forwards and answers in the layouts of the clients
businesses use; tests/mailfixtures/eml holds hand-written ones. The accuracy table is printed
(`pytest -s`); the targets: requester right on >= 98 % of forwards, robot answers recognised on
>= 98 %, and no human answer taken for a robot.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from quotemaild.mail.parse import parse_message
from quotemaild.mail.provenance import understand
from tests.mailfixtures.answers import all_answers
from tests.mailfixtures.common import TENANT
from tests.mailfixtures.forwards import all_forwards

EML = Path(__file__).resolve().parent.parent / "mailfixtures" / "eml"
REQUESTER_TARGET = 0.98
ROBOT_TARGET = 0.98
ROBOT_KINDS = ("out_of_office", "auto_reply")


def _hand_written() -> tuple[list[tuple[str, str, str, bytes, str]], list[tuple[str, str, str, bytes, bool]]]:
    expected = json.loads((EML / "expected.json").read_text(encoding="utf-8"))
    forwards, answers = [], []
    for name, exp in expected.items():
        if name.startswith("_"):
            continue
        data = (EML / name).read_bytes()
        if "requester" in exp:
            forwards.append((name, exp["client"], exp["lang"], data, exp["requester"]))
        else:
            answers.append((name, exp["client"], exp["lang"], data, exp["robot"]))
    return forwards, answers


def _table(title: str, rows: dict[tuple[str, str], list[int]]) -> str:
    lines = [title, f"  {'client':<26}{'nl':>7}{'fr':>7}{'en':>7}{'de':>7}"]
    for client in sorted({c for c, _ in rows}):
        cells = []
        for lang in ("nl", "fr", "en", "de"):
            ok, total = rows.get((client, lang), [0, 0])
            cells.append(f"{ok}/{total}" if total else "-")
        lines.append(f"  {client:<26}" + "".join(f"{c:>7}" for c in cells))
    return "\n".join(lines)


def test_forward_requester_accuracy_per_client_and_language():
    """The requester is the original customer on >= 98 % of forwards (>= 60 fixtures, 4 languages)."""
    cases = [(f.name, f.client, f.lang, f.data, f.expected) for f in all_forwards()]
    cases += _hand_written()[0]
    assert len(cases) >= 60
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for name, client, lang, data, expected in cases:
        u = understand(parse_message(data), "bounce@firma.be", TENANT)
        got = u.requester.email if u.requester else None
        rows[(client, lang)][1] += 1
        if got == expected:
            rows[(client, lang)][0] += 1
        else:
            misses.append(f"{name}: got {got}, want {expected} ({u.provenance}; {'; '.join(u.provenance_reasons)})")
        # a staff member's address (signature, forwarder) is never the requester
        assert got is None or not TENANT.is_own(got), name
    ok = sum(r[0] for r in rows.values())
    accuracy = ok / len(cases)
    print("\n" + _table(f"forwards: requester right on {ok}/{len(cases)} = {accuracy:.1%}", rows))
    assert accuracy >= REQUESTER_TARGET, "\n".join(misses)


def test_answer_verdict_accuracy_per_client_and_language():
    """Robot answers recognised on >= 98 %; no human answer taken for a robot (>= 40 answers)."""
    cases = [(a.name, a.client, a.lang, a.data, a.robot) for a in all_answers()]
    cases += _hand_written()[1]
    assert len(cases) >= 40
    robots: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    humans: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    false_robots, missed = [], []
    for name, client, lang, data, robot in cases:
        u = understand(parse_message(data), "x@example.org", TENANT)
        said_robot = u.kind in ROBOT_KINDS
        rows = robots if robot else humans
        rows[(client, lang)][1] += 1
        rows[(client, lang)][0] += said_robot == robot
        if robot and not said_robot:
            missed.append(f"{name}: {u.kind_reasons}")
        if said_robot and not robot:
            false_robots.append(f"{name}: {u.kind_reasons}")
        if not said_robot:
            assert u.kind == "human", name
    n_robot = sum(r[1] for r in robots.values())
    n_robot_ok = sum(r[0] for r in robots.values())
    n_human = sum(r[1] for r in humans.values())
    print("\n" + _table(f"robot answers recognised: {n_robot_ok}/{n_robot}", robots))
    print(_table(f"human answers kept human: {n_human - len(false_robots)}/{n_human}", humans))
    assert n_robot_ok / n_robot >= ROBOT_TARGET, "\n".join(missed)
    assert not false_robots, "\n".join(false_robots)
