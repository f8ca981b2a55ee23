"""The health centre's work list (`/worklist`) and the search for a case (`/cases`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
