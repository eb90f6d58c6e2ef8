"""Reading an uploaded file (CSV, XLSX, vCard or JSON lines) as rows of text, whatever its encoding.

Everything wrong with the file as a whole (empty, header only, unreadable encoding, broken quoting,
duplicate or too many columns, not a workbook) is an ``ImportFileError`` whose message says what and
where. Problems of one row (too many or too few cells) are left to the row cleaner, which rejects
that row alone.

Rows are numbered as a spreadsheet numbers them: the header is row 1, the first data row is row 2.
Blank rows (every cell empty) are skipped: spreadsheets export them after the data. A vCard file
reads as one row per card (the first card is row 2) under the headers of ``VCARD_HEADERS``; a JSON
lines file as one row per line, numbered by its line, under the keys found in the file (nested
objects flattened to ``address.city``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _

MAX_COLUMNS = 1000
SAMPLE_BYTES = 256 * 1024
DELIMITERS = ",;\t|"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # as customers/exports.py neutralises them
# Chinese files are often labelled GB2312 or GBK; GB18030 decodes both and every character they miss.
ENCODING_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "hz": "gb18030", "ascii": "utf-8"}


class ImportFileError(ValueError):
    """The file cannot be imported at all; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class FileLayout:
    file_format: str  # "csv", "xlsx", "vcf" (vCard) or "json" (JSON lines)
    encoding: str  # "" for xlsx
    delimiter: str  # csv only
    headers: list[str]


# The columns a vCard becomes; named as Google Contacts names them, so the mapping step recognises them.
VCARD_HEADERS = [
    "First Name", "Last Name", "Name", "E-mail Address", "Phone", "Company", "Job Title",
    "Street", "City", "Region", "Postal Code", "Country", "Birthday", "Tags",
]  # fmt: skip


def file_format_for(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if lowered.endswith(".xlsx"):
        return "xlsx"
    if lowered.endswith((".vcf", ".vcard")):
        return "vcf"
    if lowered.endswith((".jsonl", ".ndjson")):
        return "json"
    raise ImportFileError(
        _("Upload a .csv, .xlsx, .vcf (vCard) or .jsonl (JSON lines) file; “%(name)s” is none of these.")
        % {"name": name}
    )


# Encoding and delimiter ---------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """The encoding of a file starting with ``sample``: a byte-order mark decides; then strict UTF-8;
    then charset-normalizer's best guess; Latin-1 (which decodes any byte) as the last resort."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 3 and len(sample) >= SAMPLE_BYTES:  # a character cut by the sample's end
            return "utf-8"
    if _looks_like_utf16(sample):
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    best = from_bytes(sample, cp_isolation=["gb18030", "big5", "shift_jis", "cp1252", "latin_1", "utf_16"]).best()
    if best is None:
        return "latin-1"
    name = codecs.lookup(best.encoding).name
    return ENCODING_ALIASES.get(name, name)


def _looks_like_utf16(sample: bytes) -> bool:
    """UTF-16 without a byte-order mark: mostly-ASCII text has a zero in every other byte."""
    head = sample[:4096]
    if len(head) < 4:
        return False
    evens, odds = head[0::2], head[1::2]
    return odds.count(0) > 0.4 * len(odds) or evens.count(0) > 0.4 * len(evens)


def detect_delimiter(text: str) -> str:
    """csv.Sniffer on the first lines; if it cannot tell, the candidate that is most frequent in the header."""
    lines = text.splitlines()[:50]
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    header = lines[0] if lines else ""
    counts = {candidate: header.count(candidate) for candidate in DELIMITERS}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


# Cells ------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0" (phone numbers typed into Excel), dates as ISO;
    the apostrophe our exports put before formula-like text is taken off again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _check_headers(headers: list[str]) -> list[str]:
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(
            _("The file has %(count)s columns; at most %(max)s can be imported. Remove the columns you do not need.")
            % {"count": f"{len(headers):,}", "max": f"{MAX_COLUMNS:,}"}
        )
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header.casefold()
        if not key:
            continue
        if key in seen:
            raise ImportFileError(
                _("Columns %(first)s and %(second)s are both called “%(name)s”. Rename one of them and upload again.")
                % {"first": column_letter(seen[key]), "second": column_letter(index), "name": header}
            )
        seen[key] = index
    return headers


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_label(headers: list[str], index: int) -> str:
    """How the report names a column: its header, or its letter when the header is blank or missing."""
    header = headers[index] if index < len(headers) else ""
    return header or _("column %(letter)s") % {"letter": column_letter(index)}


# Reading ----------------------------------------------------------------------------------------


def inspect_file(stream: IO[bytes], name: str) -> FileLayout:
    """Format, encoding, delimiter and header of an upload; refuses files without a data row."""
    file_format = file_format_for(name)
    stream.seek(0)
    if file_format == "xlsx":
        layout = FileLayout(file_format="xlsx", encoding="", delimiter="", headers=[])
    else:
        sample = stream.read(SAMPLE_BYTES)
        if not sample.strip():
            raise ImportFileError(_("The file is empty."))
        encoding = detect_encoding(sample)
        text = sample.decode(encoding, errors="ignore")
        delimiter = detect_delimiter(text) if file_format == "csv" else ""
        headers = _jsonl_headers(stream, encoding) if file_format == "json" else []
        layout = FileLayout(file_format=file_format, encoding=encoding, delimiter=delimiter, headers=headers)
    stream.seek(0)
    rows = iter_rows(stream, layout)
    try:
        headers = next(rows)[1]
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    has_data = next(rows, None) is not None
    rows.close()  # now, while the stream is open
    if not has_data:
        raise ImportFileError(_("The file has a header row but no data rows."))
    return FileLayout(layout.file_format, layout.encoding, layout.delimiter, _check_headers(headers))


def iter_rows(stream: IO[bytes], layout: FileLayout) -> Generator[tuple[int, list[str]], None, None]:
    """(row number, cells as text) for every non-blank row, the header first."""
    stream.seek(0)
    if layout.file_format == "xlsx":
        yield from _xlsx_rows(stream)
    elif layout.file_format == "vcf":
        yield from _vcard_rows(stream, layout.encoding)
    elif layout.file_format == "json":
        yield from _jsonl_rows(stream, layout.encoding, layout.headers)
    else:
        yield from _csv_rows(stream, layout.encoding, layout.delimiter)


def iter_data_rows(stream: IO[bytes], layout: FileLayout) -> Iterator[tuple[int, list[str]]]:
    rows = iter_rows(stream, layout)
    next(rows, None)  # the header
    yield from rows


def _csv_rows(stream: IO[bytes], encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    reader = csv.reader(text, delimiter=delimiter or ",", strict=True)
    number = 0
    try:
        for record in reader:
            number += 1
            cells = [cell_text(cell) for cell in record]
            if any(cells):
                yield number, cells
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "Row %(row)s cannot be read as %(encoding)s text (byte 0x%(byte)s). Save the file as "
                "UTF-8 CSV and upload it again."
            )
            % {
                "row": number + 1,
                "encoding": encoding.upper(),
                "byte": error.object[error.start : error.start + 1].hex(),
            }
        ) from None
    except csv.Error as error:
        raise ImportFileError(
            _(
                "Row %(row)s (line %(line)s of the file) has broken quoting: %(detail)s. A value containing the "
                'delimiter or a line break must be wrapped in double quotes, and a quote inside it doubled ("").'
            )
            % {"row": number + 1, "line": reader.line_num, "detail": error}
        ) from None
    finally:
        with contextlib.suppress(ValueError):  # the caller may have closed the stream already
            text.detach()  # leave the caller's stream open


def _xlsx_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise ImportFileError(
            _(
                "This .xlsx file cannot be opened: it is not an Excel workbook (%(detail)s). Open it in your "
                "spreadsheet program and save it as .xlsx or CSV."
            )
            % {"detail": error}
        ) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            while cells and not cells[-1]:  # workbooks pad rows to the widest one
                cells.pop()
            if any(cells):
                yield number, cells
    finally:
        workbook.close()


# vCard (3.0 and 4.0, through vobject) -----------------------------------------------------------


def _text_lines(stream: IO[bytes], encoding: str) -> Iterator[tuple[int, str]]:
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline=None)
    number = 0
    try:
        for number, line in enumerate(text, start=1):
            yield number, line.rstrip("\n")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _("Line %(line)s cannot be read as %(encoding)s text (byte 0x%(byte)s). Save the file as UTF-8.")
            % {
                "line": number + 1,
                "encoding": encoding.upper(),
                "byte": error.object[error.start : error.start + 1].hex(),
            }
        ) from None
    finally:
        with contextlib.suppress(ValueError):
            text.detach()


def _vcard_rows(stream: IO[bytes], encoding: str) -> Iterator[tuple[int, list[str]]]:
    """The cards one by one (each parsed alone, so a file of 100k cards is never held in memory)."""
    yield 1, list(VCARD_HEADERS)
    card_lines: list[str] = []
    started_at = 0
    cards = 0
    for number, line in _text_lines(stream, encoding):
        marker = line.strip().upper()
        if marker == "BEGIN:VCARD":
            if card_lines:
                raise ImportFileError(
                    _("The vCard starting at line %(line)s has no END:VCARD before the next card.")
                    % {"line": started_at}
                )
            card_lines, started_at = [line], number
        elif card_lines:
            card_lines.append(line)
            if marker == "END:VCARD":
                cards += 1
                yield cards + 1, _vcard_cells(card_lines, cards, started_at)
                card_lines = []
    if card_lines:
        raise ImportFileError(_("The vCard starting at line %(line)s has no END:VCARD.") % {"line": started_at})


def _vcard_cells(lines: list[str], index: int, line: int) -> list[str]:
    import vobject

    try:
        card = vobject.readOne("\r\n".join(lines) + "\r\n")
    except Exception as error:  # vobject raises ParseError, ValueError and more on malformed cards
        raise ImportFileError(
            _(
                "vCard %(index)s (line %(line)s) cannot be read: %(detail)s. "
                "Nothing was imported; fix or remove that card."
            )
            % {"index": index, "line": line, "detail": str(error)[:200] or type(error).__name__}
        ) from None
    contents = card.contents

    def first(key: str) -> Any:
        values = contents.get(key)
        return values[0].value if values else None

    def preferred(key: str) -> str:
        """The entry marked preferred (TYPE=pref or PREF=1), else the first."""
        values = contents.get(key) or []
        for value in values:
            types = [t.lower() for t in value.params.get("TYPE", [])]
            if "pref" in types or value.params.get("PREF"):
                return str(value.value).strip()
        return str(values[0].value).strip() if values else ""

    name = first("n")
    org = first("org")
    address = first("adr")
    categories = first("categories")
    return [
        cell_text(getattr(name, "given", "")),
        cell_text(getattr(name, "family", "")),
        cell_text(first("fn")),
        preferred("email"),
        preferred("tel"),
        cell_text(org[0] if isinstance(org, list) and org else org),
        cell_text(first("title")),
        cell_text(getattr(address, "street", "")),
        cell_text(getattr(address, "city", "")),
        cell_text(getattr(address, "region", "")),
        cell_text(getattr(address, "code", "")),
        cell_text(getattr(address, "country", "")),
        _vcard_date(cell_text(first("bday"))),
        ", ".join(categories) if isinstance(categories, list) else cell_text(categories),
    ]


def _vcard_date(value: str) -> str:
    """vCard 3/4 dates may be basic format (19850412) or carry a time; the cleaner reads ISO dates."""
    compact = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(T.*)?", value)
    if compact:
        return f"{compact[1]}-{compact[2]}-{compact[3]}"
    return value.split("T", 1)[0]


# JSON lines -----------------------------------------------------------------------------------


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"address": {"city": "Paris"}} -> {"address.city": "Paris"}."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _json_objects(stream: IO[bytes], encoding: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in _text_lines(stream, encoding):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            raise ImportFileError(
                _(
                    "Line %(line)s is not valid JSON (%(detail)s). Each line must hold one object, like "
                    '{"email": "ann@example.org", "first_name": "Ann"}.'
                )
                % {"line": number, "detail": error}
            ) from None
        if not isinstance(value, dict):
            raise ImportFileError(
                _("Line %(line)s holds a JSON %(kind)s; each line must hold one object.")
                % {"line": number, "kind": type(value).__name__.replace("dict", "object").replace("list", "array")}
            )
        yield number, _flatten(value)


def _jsonl_headers(stream: IO[bytes], encoding: str) -> list[str]:
    """Every key in the file, in the order first seen (one streaming pass)."""
    stream.seek(0)
    keys: dict[str, None] = {}
    for _number, record in _json_objects(stream, encoding):
        for key in record:
            keys.setdefault(key, None)
    stream.seek(0)
    return list(keys)


def _json_cell(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(cell_text(item) for item in value)  # tags and similar lists
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


def _jsonl_rows(stream: IO[bytes], encoding: str, headers: list[str]) -> Iterator[tuple[int, list[str]]]:
    yield 0, list(headers)  # no header line in the file: data rows keep their line numbers
    for number, record in _json_objects(stream, encoding):
        cells = [_json_cell(record.get(key)) for key in headers]
        if any(cells):
            yield number, cells
