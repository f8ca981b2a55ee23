"""The coordinator's and admin's pages: the region's overview (`/region`), alerts (`/alerts`), the § 10 follow-up (`/report`), the access log's review (`/audit`), users (`/users`) and the directory (`/directory`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
