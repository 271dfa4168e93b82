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
    model_config = ConfigDict(extra="allow")


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "model": ProblemOut, "content": {MEDIA_TYPE: {}}}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem("No or bad credentials"),
    404: _problem("Not found, or another tenant's"),
    422: _problem("Invalid input; `field` names it"),
}
CONFLICT = {409: _problem("The workflow does not allow this move")}
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
