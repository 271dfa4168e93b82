"""Zammad helpdesk mails: From/subject as Zammad expects, requester = From for human mail, DSNs are bounces."""

from __future__ import annotations

import re

import pytest
import yaml

from quotemaild.mail.parse import parse_message
from quotemaild.mail.provenance import understand
from quotemaild.mail.tenant import TenantIdentity

TENANT = TenantIdentity(
    proposals_addresses=frozenset({"helpdesk-1@proposals.example.com"}),
    own_addresses=frozenset(),
    own_domains=frozenset({"tenant.invalid"}),
    proposals_domain="proposals.example.com",
)
# The DSNs INDEX.md lists for zammad (mail033-undelivered-..., 052, 053, 055, 063, 078, 087, 092).
LISTED_BOUNCES = re.compile(r"^mail0(?:33-|52\.|53\.|55\.|63\.|78\.box|87\.|92\.)")
# From: we are strict where Zammad guesses (no angle brackets, empty <>, spaces in the local
# part, trailing dots): those mails get no From rather than a guessed one.
FROM_FLOOR, SUBJECT_FLOOR, REQUESTER_FLOOR, BOUNCE_FLOOR = 0.85, 0.93, 0.95, 0.85


class _RubyLoader(yaml.SafeLoader):
    """Zammad's YAML carries Ruby tags (`!ruby/hash:...`, `!binary`): read them as plain data."""


def _ruby(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_RubyLoader.add_multi_constructor("!ruby/", _ruby)
_RubyLoader.add_constructor("!binary", lambda loader, node: loader.construct_scalar(node))


@pytest.mark.corpus
def test_zammad_from_subject_requester_and_bounces(corpus_dir):
    """Zammad's expected from/subject hold for our parse; human mail's requester is its From."""
    root = corpus_dir / "zammad"
    total = from_ok = subject_ok = human = requester_ok = bounces = bounces_ok = 0
    misses: list[str] = []
    for box in sorted(root.glob("mail*.box")):
        expected_file = box.with_suffix(".yml")
        if not expected_file.exists():
            continue
        expected = yaml.load(expected_file.read_text(encoding="utf-8"), Loader=_RubyLoader)
        msg = parse_message(box.read_bytes())
        u = understand(msg, "", TENANT)
        total += 1
        want_from = str(expected.get("from_email") or "").strip().lower()
        got_from = msg.sender.email.lower() if msg.sender else ""
        from_ok += got_from == want_from
        want_subject = " ".join(str(expected.get("subject") or "").split())
        subject_ok += msg.subject == want_subject
        if LISTED_BOUNCES.match(box.name):
            bounces += 1
            bounces_ok += u.kind == "bounce"
            if u.kind != "bounce":
                misses.append(f"{box.name}: listed DSN classified {u.kind}")
        elif u.kind == "human" and got_from == want_from:
            human += 1
            got = u.requester.email.lower() if u.requester else None
            no_reply_rule = msg.sender.local.lower().startswith("noreply") and bool(msg.reply_to)
            if got == want_from or (no_reply_rule and got == msg.reply_to[0].email.lower()):
                requester_ok += 1
            else:
                misses.append(f"{box.name}: requester {got} != {want_from}")
    summary = (
        f"zammad: From {from_ok}/{total} = {from_ok / total:.1%}; subject {subject_ok}/{total} = "
        f"{subject_ok / total:.1%}; requester on human mail {requester_ok}/{human}; "
        f"listed DSNs classified bounce {bounces_ok}/{bounces}"
    )
    print(summary)
    detail = summary + "\n" + "\n".join(misses)
    assert from_ok / total >= FROM_FLOOR, detail
    assert subject_ok / total >= SUBJECT_FLOOR, detail
    assert requester_ok / human >= REQUESTER_FLOOR, detail
    assert bounces_ok / bounces >= BOUNCE_FLOOR, detail
