"""The one way a page hands out a file: CSV or Excel of `hub.tabular` tables, never cached.

Exports hold what only the viewer may see, so they are `private, no-store`; the file name may be
Japanese (Werkzeug writes it as RFC 5987 `filename*` with an ASCII fallback).
"""
from __future__ import annotations

import io
from collections.abc import Sequence

from flask import Response, send_file

from hub.tabular import CSV_MIMETYPE, XLSX_MIMETYPE, Table, to_csv, to_xlsx


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(table: Table, filename: str) -> Response:
    return _attachment(to_csv(table), CSV_MIMETYPE, filename)


def xlsx_response(tables: Sequence[Table], filename: str) -> Response:
    return _attachment(to_xlsx(tables), XLSX_MIMETYPE, filename)
