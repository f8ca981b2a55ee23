"""The case page (`/cases/{case_id}`) for every role, as that role may see it: the three tracks, deadlines, notes, the next allowed steps with their forms, booking with a slot picker, the letter, the interpreter order, consent, the history."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
