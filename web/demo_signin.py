"""The demo's sign-in shortcut: on a simulation database only, the invented people to sign in as with one click."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
