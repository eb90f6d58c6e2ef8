"""Reading uploads: encodings, delimiters, and a precise message for every kind of broken file."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from imports.reader import FileLayout, ImportFileError, inspect_file, iter_data_rows


def read(content: bytes, name: str = "contacts.csv") -> tuple[FileLayout, list[tuple[int, list[str]]]]:
    stream = io.BytesIO(content)
    layout = inspect_file(stream, name)
    return layout, list(iter_data_rows(stream, layout))


def refusal(content: bytes, name: str = "contacts.csv") -> str:
    with pytest.raises(ImportFileError) as error:
        read(content, name)
    return str(error.value)


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CHINESE = (
    "姓名,手机,邮箱,公司\n"
    "王小明,13800138000,wang@example.cn,北京华为技术有限公司\n"
    "李娜,13900139000,li@example.cn,上海银行股份有限公司\n"
)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_chinese_text_is_read_in_its_encoding(encoding, expected):
    layout, rows = read(CHINESE.encode(encoding))
    assert layout.encoding == expected
    assert layout.headers == ["姓名", "手机", "邮箱", "公司"]
    assert rows[0] == (2, ["王小明", "13800138000", "wang@example.cn", "北京华为技术有限公司"])


def test_latin1_text_is_read():
    _, rows = read("Name,City\nJosé Müller,Zürich\nFrançois Lefèvre,Besançon\n".encode("latin-1"))
    assert rows[0][1] == ["José Müller", "Zürich"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(delimiter):
    content = (
        delimiter.join(["Email", "First Name", "Last Name"]) + "\n" + delimiter.join(["a@example.org", "Ann", "Lee"])
    )
    layout, rows = read(content.encode())
    assert layout.delimiter == delimiter and rows == [(2, ["a@example.org", "Ann", "Lee"])]


def test_quoted_values_with_delimiters_and_line_breaks():
    _, rows = read(b'Name,Note\n"Lee, Ann","two\nlines"\nBo,x\n')
    assert rows == [(2, ["Lee, Ann", "two\nlines"]), (3, ["Bo", "x"])]


def test_blank_rows_are_skipped_and_numbers_stay_spreadsheet_rows():
    _, rows = read(b"Email\na@example.org\n,\n\nb@example.org\n")
    assert rows == [(2, ["a@example.org"]), (5, ["b@example.org"])]


def test_an_empty_file_is_refused():
    assert refusal(b"") == "The file is empty."
    assert refusal(b"  \n\n") == "The file is empty."


def test_a_header_only_file_is_refused():
    assert refusal(b"Email,First Name\n") == "The file has a header row but no data rows."


def test_broken_quoting_says_where():
    message = refusal(b'Email,Name\na@example.org,Ann\nb@example.org,"Bo "the" Builder"\n')
    assert message.startswith("Row 3 (line 3 of the file) has broken quoting")


def test_an_unclosed_quote_is_refused_not_swallowed():
    message = refusal(b'Email,Name\na@example.org,"Ann\nb@example.org,Bo\n')
    assert "broken quoting" in message and "unexpected end of data" in message


def test_duplicate_headers_are_refused_by_column():
    assert refusal(b"Email,Name,email\na,b,c\n") == (
        "Columns A and C are both called “email”. Rename one of them and upload again."
    )


def test_more_than_a_thousand_columns_are_refused():
    header = ",".join(f"c{n}" for n in range(1001))
    assert refusal(f"{header}\n{','.join('x' * 1001)}\n".encode()) == (
        "The file has 1,001 columns; at most 1,000 can be imported. Remove the columns you do not need."
    )


def test_other_file_types_are_refused():
    assert refusal(b"%PDF-1.4", "contacts.pdf") == (
        "Upload a .csv, .xlsx, .vcf (vCard) or .jsonl (JSON lines) file; “contacts.pdf” is none of these."
    )


def test_xlsx_first_sheet_is_streamed_with_numbers_and_dates_as_text():
    from datetime import date

    layout, rows = read(
        xlsx([["Email", "Phone", "Birthday"], ["a@example.org", 13800138000, date(1990, 5, 17)]]), "c.xlsx"
    )
    assert layout.file_format == "xlsx" and layout.headers == ["Email", "Phone", "Birthday"]
    assert rows == [(2, ["a@example.org", "13800138000", "1990-05-17"])]


def test_an_xlsx_that_is_not_a_zip_is_refused():
    message = refusal(b"Email,Name\na@example.org,Ann\n", "contacts.xlsx")
    assert message.startswith("This .xlsx file cannot be opened: it is not an Excel workbook")


def test_our_own_export_apostrophes_are_taken_off():
    _, rows = read(b"Name,Note\n'=cmd,'-5 apples\n")
    assert rows == [(2, ["=cmd", "-5 apples"])]
