"""Mail templates: sandboxed jinja2, nl/fr/en defaults with en fallback, strict validation."""

from __future__ import annotations

import pytest

from quotemaild.errors import InvalidInput
from quotemaild.mail.templates import (
    KINDS,
    LANGUAGES,
    VARIABLES,
    default_template,
    pick_language,
    render_mail,
    sample_context,
    validate_template,
)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_default_validates_and_renders(kind: str, lang: str) -> None:
    """Each shipped default passes validation and renders a one-line subject and a body."""
    text = default_template(kind, lang)
    validate_template(kind, text)
    out = render_mail(kind, lang, sample_context(kind))
    assert out.subject and "\n" not in out.subject
    assert out.text.strip() and "{{" not in out.text and "{%" not in out.text
    assert "Starcomm BV" in out.text or kind == "reply" and "Starcomm BV" in out.text


@pytest.mark.parametrize(
    ("lang", "subject_start", "greeting"),
    [("nl", "Ontvangen:", "Beste Jan Peeters,"), ("fr", "Bien reçu :", "Bonjour Jan Peeters,"),
     ("en", "Received:", "Dear Jan Peeters,")],
)
def test_ack_language(lang: str, subject_start: str, greeting: str) -> None:
    """The acknowledgement speaks the chosen language."""
    out = render_mail("ack", lang, sample_context("ack"))
    assert out.subject.startswith(subject_start)
    assert out.text.startswith(greeting)


def test_ack_without_contact_name() -> None:
    """Without a contact name the greeting stays polite, without a dangling space."""
    ctx = sample_context("ack") | {"contact_name": ""}
    assert render_mail("ack", "nl", ctx).text.startswith("Beste,\n")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_quote_send_carries_links_and_total(lang: str) -> None:
    """The quote mail names the number and total and carries both signed links."""
    ctx = sample_context("quote_send")
    out = render_mail("quote_send", lang, ctx)
    for key in ("quote_number", "quote_total", "accept_url", "reject_url", "valid_until"):
        assert ctx[key] in out.text or ctx[key] in out.subject


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [(("fr", "nl"), "fr"), ((None, "nl"), "nl"), (("de", "fr"), "fr"), (("de", None), "en"),
     ((), "en"), (("NL-be",), "nl"), (("",), "en")],
)
def test_pick_language(candidates: tuple[str | None, ...], expected: str) -> None:
    """Contact language first, then the tenant's, else en."""
    assert pick_language(*candidates) == expected


def test_unknown_language_falls_back_to_en() -> None:
    """A language without defaults renders the English text."""
    assert render_mail("ack", "de", sample_context("ack")).subject.startswith("Received:")


def test_override_is_used() -> None:
    """A tenant's override text replaces the default."""
    text = "Subject: Bedankt {{ contact_name }}\n\nWe bellen u morgen.\n{{ tenant_name }}\n"
    out = render_mail("ack", "nl", sample_context("ack"), override=text)
    assert out.subject == "Bedankt Jan Peeters"
    assert out.text == "We bellen u morgen.\nStarcomm BV\n"


def test_subject_is_one_line_even_with_newlines_in_values() -> None:
    """A newline in a value cannot split the rendered subject."""
    ctx = sample_context("ack") | {"subject": "a\r\nBcc: x@y"}
    assert render_mail("ack", "en", ctx).subject == "Received: a Bcc: x@y"


def test_values_are_not_template_code() -> None:
    """Jinja syntax inside a value is printed, never evaluated."""
    ctx = sample_context("ack") | {"contact_name": "{{ 7*7 }}"}
    assert "{{ 7*7 }}" in render_mail("ack", "en", ctx).text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hallo", "line 1: must start with 'Subject:'"),
        ("Subject: x\nbody", "line 2: must be empty"),
        ("Subject: x\n\nHallo {{ nme }}", "line 3: unknown variable 'nme'"),
        ("Subject: {{ foo }}\n\nx", "line 1: unknown variable 'foo'"),
        ("Subject: x\n\na\nb\n{% if contact_name %}{{ secret_key }}{% endif %}", "line 5: unknown variable 'secret_key'"),
        ("Subject: x\n\nline3\n{% if %}", "line 4:"),
        ("Subject: {{ x\n\nbody", "line 1:"),
        ("Subject: x\n\n\n\n{% for a in b %}", "line 5:"),
        ("Subject: x\n\na\nb\n{{ contact_name.bad() }}", "line 5: 'str object' has no attribute 'bad'"),
        ("Subject: x\n\n{{ tenant_name.__class__.__mro__ }}", "line 3: access to attribute '__class__'"),
        ("Subject: x\n\n" + "x" * 30_000, "longer than"),
    ],
)
def test_validate_template_names_the_line(text: str, message: str) -> None:
    """Syntax errors, unknown variables, unsafe access and bad layout are refused with the line."""
    with pytest.raises(InvalidInput) as err:
        validate_template("ack", text)
    assert err.value.field == "template"
    assert message in err.value.problem


def test_reply_may_use_body_but_ack_may_not() -> None:
    """Each kind has its own variable set."""
    validate_template("reply", "Subject: {{ reply_subject }}\n\n{{ body }}")
    with pytest.raises(InvalidInput):
        validate_template("ack", "Subject: x\n\n{{ body }}")
    assert "accept_url" in VARIABLES["quote_send"] and "accept_url" not in VARIABLES["ack"]


def test_unknown_kind_refused() -> None:
    """Only ack, reply and quote_send exist."""
    with pytest.raises(InvalidInput):
        render_mail("invoice", "nl", {})


def test_missing_context_value_is_refused_on_render() -> None:
    """Rendering with a variable missing from the context raises InvalidInput (StrictUndefined)."""
    ctx = sample_context("ack")
    del ctx["tenant_name"]
    with pytest.raises(InvalidInput):
        render_mail("ack", "nl", ctx)


def test_a_text_is_compiled_once_and_a_changed_text_takes_effect():
    """Every acknowledgement of a tenant renders the same text: it is compiled once. A tenant
    that edits its text gets the new one at once, and a broken text is refused every time."""
    from quotemaild.mail import templates

    first = "Subject: Ontvangen: {{ subject }}\n\nBeste {{ contact_name }}, bedankt.\n"
    ctx = {**sample_context("ack"), "contact_name": "An"}
    before = templates._compile.cache_info()
    a = render_mail("ack", "nl", ctx, first)
    b = render_mail("ack", "nl", {**ctx, "contact_name": "Bo"}, first)
    after = templates._compile.cache_info()
    assert (a.text, b.text) == ("Beste An, bedankt.\n", "Beste Bo, bedankt.\n")
    assert after.hits - before.hits >= 1 and after.misses - before.misses <= 1
    edited = render_mail("ack", "nl", ctx, first.replace("bedankt", "dank u"))
    assert edited.text == "Beste An, dank u.\n"
    for _ in range(2):
        with pytest.raises(InvalidInput, match="line 3"):
            render_mail("ack", "nl", ctx, "Subject: x\n\n{% if %}\n")
