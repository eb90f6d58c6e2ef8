"""What a column of the file can be imported into, and a first guess from its header.

A mapping is one target per column: a contact field name, ``account`` (an account by name),
``full_name`` (split into first and last name), ``cf:<key>`` for an active custom field, or ""
(ignore the column). Only ``tags`` may be the target of several columns; they are merged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import CustomField

IGNORE = ""
CUSTOM_PREFIX = "cf:"
MULTI_COLUMN_TARGETS = {"tags"}
MATCH_TARGETS = {"external_id", "email", "phone"}  # what "update" and "upsert" can match on
IDENTITY_TARGETS = {"first_name", "last_name", "full_name", "email"}  # a new contact needs one of these

STANDARD_TARGETS: list[tuple[str, object]] = [
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
    ("full_name", gettext_lazy("Full name (split into first and last)")),
    ("email", gettext_lazy("Email")),
    ("phone", gettext_lazy("Phone")),
    ("title", gettext_lazy("Job title")),
    ("account", gettext_lazy("Account (by name; created if new)")),
    ("lifecycle_stage", gettext_lazy("Lifecycle stage")),
    ("source", gettext_lazy("Source channel")),
    ("preferred_channel", gettext_lazy("Preferred channel")),
    ("tags", gettext_lazy("Tags")),
    ("street", gettext_lazy("Street")),
    ("city", gettext_lazy("City")),
    ("region", gettext_lazy("Region")),
    ("postal_code", gettext_lazy("Postal code")),
    ("country", gettext_lazy("Country (two-letter code)")),
    ("birthday", gettext_lazy("Birthday")),
    ("email_consent", gettext_lazy("Consents to email")),
    ("sms_consent", gettext_lazy("Consents to SMS")),
    ("external_id", gettext_lazy("External id")),
    ("source_system", gettext_lazy("Source system")),
]

# Headers as exported by spreadsheets, Google Contacts, Outlook and Salesforce, and common Chinese
# ones; compared after ``_header_key`` (case, spaces and punctuation do not matter).
_ALIASES: dict[str, list[str]] = {
    "first_name": ["first name", "firstname", "given name", "forename", "first", "名", "名字"],
    "last_name": ["last name", "lastname", "family name", "surname", "last", "姓", "姓氏"],
    "full_name": ["name", "full name", "fullname", "contact name", "contact", "姓名", "联系人", "客户姓名"],
    "email": [
        "email", "e-mail", "email address", "e-mail address", "e-mail 1 - value", "email 1 - value", "mail",
        "work email", "primary email", "邮箱", "电子邮箱", "电子邮件", "邮件",
    ],
    "phone": [
        "phone", "phone number", "mobile", "mobile phone", "mobilephone", "cell", "cell phone", "telephone", "tel",
        "business phone", "primary phone", "phone 1 - value", "手机", "手机号", "手机号码", "电话", "联系电话",
    ],
    "title": ["title", "job title", "position", "role", "organization 1 - title", "职位", "职务", "头衔"],
    "account": [
        "company", "company name", "account", "account name", "organization", "organisation",
        "organization 1 - name", "organization name", "employer", "公司", "公司名称", "单位", "企业",
    ],
    "lifecycle_stage": ["lifecycle stage", "stage", "lead status", "status", "生命周期", "阶段"],
    "source": ["source", "lead source", "leadsource", "来源", "渠道"],
    "preferred_channel": ["preferred channel", "channel"],
    "tags": ["tags", "tag", "labels", "groups", "group membership", "标签"],
    "street": [
        "street", "address", "street address", "address street", "address line1", "mailing street",
        "address 1 - street", "地址", "街道",
    ],
    "city": ["city", "town", "address city", "mailing city", "address 1 - city", "城市"],
    "region": [
        "region", "state", "province", "state/province", "address region", "address state", "mailing state",
        "address 1 - region", "省份", "省",
    ],
    "postal_code": [
        "postal code", "postcode", "zip", "zip code", "address postal code", "address zip", "mailing postal code",
        "address 1 - postal code", "邮编",
    ],
    "country": ["country", "country code", "address country", "mailing country", "address 1 - country", "国家"],
    "birthday": ["birthday", "birthdate", "date of birth", "dob", "生日", "出生日期"],
    "email_consent": ["email consent", "email opt in", "opted in", "subscribed", "marketing consent", "邮件同意"],
    "sms_consent": ["sms consent", "sms opt in", "短信同意"],
    "external_id": ["external id", "id", "contact id", "record id", "salesforce id", "crm id", "外部编号", "编号"],
    "source_system": ["source system", "system", "来源系统"],
}  # fmt: skip


def _header_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


_SUGGESTIONS = {_header_key(alias): target for target, aliases in _ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class Target:
    value: str
    label: str


def targets_for(custom_fields: Iterable[CustomField]) -> list[Target]:
    """Every choice of the per-column select, "ignore" first."""
    choices = [Target(IGNORE, _("— Ignore this column —"))]
    choices += [Target(value, str(label)) for value, label in STANDARD_TARGETS]
    choices += [
        Target(f"{CUSTOM_PREFIX}{field.key}", _("Custom: %(label)s") % {"label": field.label})
        for field in custom_fields
    ]
    return choices


def suggest_mapping(headers: list[str], custom_fields: Iterable[CustomField]) -> list[str]:
    """A target per header; each single-valued target goes to the first column that suggests it."""
    custom: dict[str, str] = {}
    for field in custom_fields:
        custom.setdefault(_header_key(field.label), f"{CUSTOM_PREFIX}{field.key}")
        custom.setdefault(_header_key(field.key), f"{CUSTOM_PREFIX}{field.key}")
    taken: set[str] = set()
    mapping = []
    for header in headers:
        key = _header_key(header)
        target = custom.get(key) or _SUGGESTIONS.get(key, IGNORE)
        if target in taken and target not in MULTI_COLUMN_TARGETS:
            target = IGNORE
        if target:
            taken.add(target)
        mapping.append(target)
    if "full_name" in taken and {"first_name", "last_name"} & taken:  # 姓 and 名 columns beat a 姓名 one
        mapping = [IGNORE if target == "full_name" else target for target in mapping]
    return mapping


def mapping_errors(mapping: list[str], headers: list[str], *, mode: str, valid_targets: set[str]) -> list[str]:
    """What is wrong with a mapping, as sentences for the top of the mapping form."""
    from imports.reader import column_label

    errors = []
    columns_by_target: dict[str, list[str]] = {}
    for index, target in enumerate(mapping):
        if target not in valid_targets:
            errors.append(_("Choose what %(column)s is imported into.") % {"column": column_label(headers, index)})
        elif target:
            columns_by_target.setdefault(target, []).append(column_label(headers, index))
    labels = dict(STANDARD_TARGETS)
    for target, columns in columns_by_target.items():
        if len(columns) > 1 and target not in MULTI_COLUMN_TARGETS:
            errors.append(
                _("%(columns)s are all mapped to %(target)s; map only one of them.")
                % {"columns": ", ".join(f"“{column}”" for column in columns), "target": labels.get(target, target)}
            )
    mapped = set(columns_by_target)
    if not mapped:
        errors.append(_("Map at least one column, e.g. Email or First name."))
    elif mode != "create" and not (mapped & MATCH_TARGETS):
        errors.append(_("To update existing contacts, map a column to External id, Email or Phone to find them by."))
    elif mode != "update" and not (mapped & IDENTITY_TARGETS):
        errors.append(_("New contacts need a name or an email: map a column to First name, Last name or Email."))
    return errors
