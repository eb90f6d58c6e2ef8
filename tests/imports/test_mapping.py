"""Suggested targets from the headers of common exports, and what a mapping must have."""

from __future__ import annotations

import pytest

from customers.models import CustomField
from imports.mapping import mapping_errors, suggest_mapping, targets_for
from imports.rows import split_full_name


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["First Name", "Last Name", "E-mail Address", "Mobile Phone", "Company", "Job Title"],
            ["first_name", "last_name", "email", "phone", "account", "title"],
        ),
        (
            ["Given Name", "Family Name", "E-mail 1 - Value", "Phone 1 - Value", "Organization 1 - Name", "Notes"],
            ["first_name", "last_name", "email", "phone", "account", ""],
        ),
        (
            ["FirstName", "LastName", "Email", "Phone", "Title", "Account Name", "Id"],
            ["first_name", "last_name", "email", "phone", "title", "account", "external_id"],
        ),
        (["姓名", "手机", "电话", "邮箱", "公司", "职位"], ["full_name", "phone", "", "email", "account", "title"]),
        (["姓", "名", "姓名"], ["last_name", "first_name", ""]),
    ],
)
def test_headers_of_common_exports_are_recognised(headers, expected):
    assert suggest_mapping(headers, []) == expected


def test_custom_fields_are_suggested_by_label_or_key():
    budget = CustomField(key="budget", label="Annual budget")
    assert suggest_mapping(["Annual Budget", "budget"], [budget]) == ["cf:budget", ""]
    assert "cf:budget" in {target.value for target in targets_for([budget])}


def test_mapping_errors_name_the_columns():
    valid = {target.value for target in targets_for([])}
    assert mapping_errors(["email", "email"], ["Email", "Mail"], mode="upsert", valid_targets=valid) == [
        "“Email”, “Mail” are all mapped to Email; map only one of them."
    ]
    assert mapping_errors(["", ""], ["A", "B"], mode="upsert", valid_targets=valid) == [
        "Map at least one column, e.g. Email or First name."
    ]
    assert mapping_errors(["first_name"], ["Name"], mode="update", valid_targets=valid) == [
        "To update existing contacts, map a column to External id, Email or Phone to find them by."
    ]
    assert mapping_errors(["tags", "tags", "email"], ["T1", "T2", "E"], mode="create", valid_targets=valid) == []
    assert (
        mapping_errors(["cf:gone"], ["X"], mode="create", valid_targets=valid)[0] == "Choose what X is imported into."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王小明", ("小明", "王")),
        ("Ann Lee Smith", ("Ann Lee", "Smith")),
        ("Smith, Ann", ("Ann", "Smith")),
        ("Cher", ("Cher", "")),
    ],
)
def test_full_names_are_split(text, expected):
    assert split_full_name(text) == expected
