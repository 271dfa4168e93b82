"""Request bodies and response models of the API. Field names are those of the CLI's --json output;
models allow extra fields, so a field the CLI adds later appears here too without a second list."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quotemaild.edges.http.problems import MEDIA_TYPE


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ProblemOut(BaseModel):
    type: str = Field(examples=["https://quotemaild.invalid/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["request 42 not found"])
    instance: str = Field(examples=["/api/v1/requests/42"])
    field: str | None = Field(default=None, examples=["body"])
    code: str | None = Field(default=None, examples=["not_a_date"],
                             description="For 422 `invalid`: the problem by name, to say it in the user's language")
    model_config = ConfigDict(extra="allow")


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "model": ProblemOut, "content": {MEDIA_TYPE: {}}}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem("No or bad credentials"),
    404: _problem("Not found, or another tenant's"),
    422: _problem("Invalid input; `field` names it"),
}
CONFLICT = {409: _problem("The workflow does not allow this move")}
OUTBOX_BUSY = {409: _problem("A sender holds this mail right now: retrying could send it twice")}
FORBIDDEN = {403: _problem("Needs the admin role, or a cookie request without its CSRF token")}


class LoginIn(BaseModel):
    email: str = Field(max_length=320, examples=["an@acme.example"])
    password: str = Field(max_length=1024, examples=["correct horse battery"])
    tenant: str | None = Field(default=None, max_length=64, description="Only when the e-mail is a user of several tenants")


class MeOut(BaseModel):
    tenant_id: int
    tenant: str
    role: str = Field(examples=["seller"])
    user_id: int | None
    token_id: int | None
    label: str = Field(examples=["an@acme.example"])
    email: str | None
    csrf: str | None = Field(description="With a session cookie: send it as X-CSRF-Token on every change")


class LoginOut(MeOut):
    expires_at: str


class RequestSummaryOut(Out):
    id: int = Field(examples=[42])
    tenant: str = Field(examples=["acme"])
    status: str = Field(examples=["received"])
    status_label: str = Field(examples=["Ontvangen"])
    assignee: str | None = Field(examples=["jan@acme.example"])
    contact_id: int | None
    needs_attention: bool
    subject: str = Field(examples=["Offerte 12 ramen"])
    requester_email: str | None = Field(examples=["klant@example.org"])
    requester_name: str | None
    message_count: int
    created_at: str
    updated_at: str
    unread: bool | None = Field(default=None, description="For a logged-in user; null for tokens")


class RequestPageOut(BaseModel):
    items: list[RequestSummaryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page; null at the end")
    counts: dict[str, int] = Field(examples=[{"received": 3, "answered": 1, "needs_attention": 0, "unread": 2}])


class AttachmentInfo(Out):
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(Out):
    id: int
    direction: str = Field(examples=["in"])
    subject: str
    text: str
    has_html: bool
    attachments: list[AttachmentInfo]


class TimelineOut(Out):
    id: int
    at: str
    kind: str = Field(examples=["note"])
    actor: str
    detail: dict[str, Any]


class RequestDetailOut(RequestSummaryOut):
    contact: dict[str, Any] | None
    messages: list[MessageOut]
    timeline: list[TimelineOut]
    quotes: list[dict[str, Any]]
    attachments: list[AttachmentInfo]


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=20000, examples=["Called back, wants it by Friday"])


class AssignIn(BaseModel):
    email: str | None = Field(max_length=320, examples=["jan@acme.example"], description="null to unassign")


class StatusIn(BaseModel):
    status: str = Field(max_length=20, examples=["cancelled"])


class RequesterIn(BaseModel):
    email: str = Field(max_length=320, examples=["real.customer@example.org"])
    name: str | None = Field(default=None, max_length=200)


class LinkIn(BaseModel):
    contact_id: int = Field(ge=1, le=2**53)


class NewRequestIn(BaseModel):
    subject: str = Field(max_length=998, examples=["Phone call: 12 windows"])
    body: str = Field(max_length=100_000)
    contact_id: int | None = Field(default=None, ge=1, le=2**53)
    customer_name: str | None = Field(default=None, max_length=200)


class DeliveryOut(BaseModel):
    state: str = Field(examples=["queued"])
    sent: bool
    reason: str | None = Field(examples=["no smarthost configured"])


class ReplyOut(BaseModel):
    request_id: int
    message_id: int
    outbox_id: int
    loops_back: bool
    warnings: list[str]
    not_sent: str | None = Field(description="Why the mail cannot leave yet (as the CLI says it); null when it can")
    delivery: DeliveryOut


class HtmlOut(BaseModel):
    message_id: int
    html: str | None = Field(description="The message's HTML after nh3 sanitising; null when it had none")


class QuoteSummaryOut(Out):
    id: int
    number: str = Field(examples=["OF-2026-0001"])
    status: str = Field(examples=["draft"])
    total_incl: str = Field(examples=["3564.66"])
    currency: str = Field(examples=["EUR"])
    valid_until: str
    request_id: int | None
    contact_id: int | None = None


class ContactDetailOut(Out):
    id: int
    kind: str = Field(examples=["customer"])
    number: str | None = Field(examples=["C20260001"])
    name: str = Field(examples=["Bakkerij Peeters"])
    emails: list[str]
    warnings: list[dict[str, Any]] = Field(default_factory=list, description="VAT problems: never refusals")


class SettingsOut(Out):
    id: int
    slug: str = Field(examples=["acme"])
    name: str
    address: str = Field(examples=["acme@proposals.example.com"])
    language: str
    auto_reply: bool
    sender_mode: str


class UserOut(Out):
    id: int
    name: str
    email: str
    role: str = Field(examples=["seller"])
    can_log_in: bool


class TemplateOut(BaseModel):
    kind: str = Field(examples=["ack"])
    language: str = Field(examples=["nl"])
    custom: bool
    text: str


class DeletedOut(Out):
    id: int
    deleted: bool


class MergeOut(Out):
    id: int = Field(description="The target contact")
    merged: bool
    warnings: list[str]


class ImportOut(Out):
    ok: bool
    committed: bool
    rows: int
    errors: list[dict[str, Any]]
    created_ids: list[int]


class SystemMailOut(Out):
    id: int
    subject: str
    info: dict[str, Any] = Field(description="`system` holds kind, code, link and hint when found")
