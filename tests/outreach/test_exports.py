"""CSV exports: safe in spreadsheets, and readable in every script."""

import csv
import io

from navigator.outreach.exports import stream


def test_stream_writes_utf8_with_a_byte_order_mark_in_chunks():
    rows = [[i, "ملاحظة", "=cmd"] for i in range(3000)]
    chunks = list(stream(["n", "note", "danger"], rows))
    assert len(chunks) > 1 and chunks[0].startswith("\ufeff")
    text = "".join(chunks).encode("utf-8").decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["n", "note", "danger"]
    assert parsed[1] == ["0", "ملاحظة", "'=cmd"] and len(parsed) == 3001
