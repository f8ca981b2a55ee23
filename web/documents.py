"""The API's JSON: the same text as the command line's `--json` (`json.dumps`, `default=str`)."""

from __future__ import annotations

import json

from fastapi.responses import Response


class Document(Response):
    media_type = "application/json"

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")
