"""The municipality's pages: the reception unit's children (`/children`, status only) and the arrival notice (`/register`); the school's, preschool's, school health's and BVC's children and their steps (`/children`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
