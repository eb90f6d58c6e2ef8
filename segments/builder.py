"""The rule builder's form: the rule tree as flat form fields, edited on the server.

Every rule and group is named by its position ("2.1"): ``rule-2.1-field``, ``rule-2.1-op``,
``rule-2.1-value`` (several for choices), ``rule-2.1-value2`` (the upper end of "between"),
``group-2-match``, and ``match`` for the whole segment. The buttons post ``action`` =
``add-rule:<group>``, ``add-group:<group>`` or ``remove:<path>``; the page (or htmx) renders the tree
again, renumbered, with each rule's error next to it. No JavaScript keeps state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.http import QueryDict

from segments.fields import (
    DAYS_OPERATORS,
    NO_VALUE_OPERATORS,
    OPERATOR_LABELS,
    FieldType,
    Op,
    SegmentField,
    get_field,
    grouped_fields,
)
from segments.rules import MAX_DEPTH, RuleIssue

_NAME = re.compile(r"^(rule|group)-(\d+(?:\.\d+)*)-(field|op|value|value2|match)$")


def _sort_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.split("."))


def tree_from_post(data: QueryDict) -> dict[str, Any]:
    """The rules JSON as posted (values unchecked: segments/rules.py validates them)."""
    nodes: dict[str, dict[str, Any]] = {}
    for name in data:
        matched = _NAME.match(name)
        if not matched:
            continue
        kind, path, part = matched.groups()
        node = nodes.setdefault(path, {})
        if kind == "group":
            node["match"] = data.get(name) if data.get(name) in ("all", "any") else "all"
            node.setdefault("rules", [])
        elif part == "value":
            node["values"] = [value for value in data.getlist(name)]
        else:
            node[part] = data.get(name, "")
    root: dict[str, Any] = {"match": data.get("match") if data.get("match") in ("all", "any") else "all", "rules": []}
    for path in sorted(nodes, key=_sort_key):
        parent_path = path.rpartition(".")[0]
        parent = nodes.get(parent_path) if parent_path else root
        if parent is None or "rules" not in parent:
            continue  # an orphan of a removed group
        node = nodes[path]
        if "rules" in node:
            parent["rules"].append(node)
        else:
            parent["rules"].append(_rule_json(node))
    return root


def _rule_json(node: dict[str, Any]) -> dict[str, Any]:
    key = node.get("field", "")
    segment_field = get_field(key) if key else None
    op = node.get("op", "")
    values = [value for value in node.get("values", []) if value is not None]
    rule: dict[str, Any] = {"field": key, "op": op}
    if segment_field is None:
        rule["value"] = None
        return rule
    if op not in segment_field.allowed_operators:  # a new field: start with its first condition
        rule["op"] = op = segment_field.allowed_operators[0]
        values = []
    if op in NO_VALUE_OPERATORS:
        rule["value"] = None
    elif op == Op.BETWEEN:
        rule["value"] = [values[0] if values else "", node.get("value2", "")]
    elif segment_field.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE) and op not in DAYS_OPERATORS:
        rule["value"] = values if segment_field.validate_choices else (values[0] if values else "")
    else:
        rule["value"] = values[0] if values else ""
    return rule


def apply_action(tree: dict[str, Any], action: str) -> dict[str, Any]:
    """Add a rule or group to a group, or remove a rule or group; unknown actions change nothing."""
    verb, _, path = action.partition(":")
    if verb in ("add-rule", "add-group"):
        group = find_node(tree, path)
        if group is not None and "rules" in group:
            depth = len(path.split(".")) + 1 if path else 1
            if verb == "add-group" and depth <= MAX_DEPTH - 1:
                group["rules"].append({"match": "all", "rules": [new_rule()]})
            elif verb == "add-rule":
                group["rules"].append(new_rule())
    elif verb == "remove" and path:
        parent_path, _, index = path.rpartition(".")
        parent = find_node(tree, parent_path)
        if parent is not None and index.isdigit() and 0 < int(index) <= len(parent.get("rules", [])):
            del parent["rules"][int(index) - 1]
    return tree


def new_rule() -> dict[str, Any]:
    return {"field": "", "op": "", "value": None}


def find_node(tree: dict[str, Any], path: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = tree
    for part in path.split(".") if path else []:
        rules = node.get("rules", []) if node else []
        if not part.isdigit() or not 0 < int(part) <= len(rules):
            return None
        node = rules[int(part) - 1]
    return node


def drop_unfinished(tree: dict[str, Any]) -> dict[str, Any]:
    """The tree without rules that have no field yet (the preview ignores a row just added)."""
    rules = []
    for child in tree.get("rules", []):
        if "rules" in child:
            inner = drop_unfinished(child)
            if inner["rules"]:
                rules.append(inner)
        elif child.get("field"):
            rules.append(child)
    return {"match": tree.get("match", "all"), "rules": rules}


# --- For the template ------------------------------------------------------------------------------


@dataclass
class RuleRow:
    path: str
    key: str
    op: str
    field: SegmentField | None
    operators: list[tuple[str, str]]
    widget: str  # "", "text", "number", "date", "days", "select", "between-number", "between-date"
    value: str = ""
    value2: str = ""
    choices: list[tuple[str, str, bool]] = dataclass_field(default_factory=list)  # value, label, selected
    multiple: bool = False
    error: str = ""


@dataclass
class GroupBox:
    path: str
    match: str
    depth: int
    items: list[RuleRow | GroupBox]
    error: str = ""
    can_add_group: bool = True

    @property
    def is_group(self) -> bool:
        return True


def boxes(tree: dict[str, Any], issues: list[RuleIssue]) -> GroupBox:
    errors: dict[str, str] = {}
    for issue in issues:
        errors.setdefault(issue.path, issue.message.split(": ", 1)[-1])
    return _box(tree, "", 1, errors)


def _box(group: dict[str, Any], path: str, depth: int, errors: dict[str, str]) -> GroupBox:
    items: list[RuleRow | GroupBox] = []
    for index, child in enumerate(group.get("rules", []), start=1):
        child_path = f"{path}.{index}" if path else str(index)
        if isinstance(child, dict) and "rules" in child:
            items.append(_box(child, child_path, depth + 1, errors))
        else:
            items.append(_row(child if isinstance(child, dict) else {}, child_path, errors.get(child_path, "")))
    return GroupBox(
        path=path,
        match=group.get("match", "all"),
        depth=depth,
        items=items,
        error=errors.get(path, "") if path else "",
        can_add_group=depth < MAX_DEPTH,
    )


def _row(rule: dict[str, Any], path: str, error: str) -> RuleRow:
    key, op, value = str(rule.get("field") or ""), str(rule.get("op") or ""), rule.get("value")
    segment_field = get_field(key) if key else None
    if segment_field is None:
        return RuleRow(path=path, key=key, op="", field=None, operators=[], widget="", error=error if key else "")
    operators = [(name, str(OPERATOR_LABELS[name])) for name in segment_field.allowed_operators]
    row = RuleRow(path=path, key=key, op=op, field=segment_field, operators=operators, widget="", error=error)
    if op in NO_VALUE_OPERATORS:
        return row
    if op in DAYS_OPERATORS or segment_field.type == FieldType.RELATIVE_DATE:
        row.widget, row.value = "days", _text(value)
    elif op == Op.BETWEEN:
        row.widget = "between-date" if segment_field.type == FieldType.DATE else "between-number"
        pair = value if isinstance(value, list) else ["", ""]
        row.value, row.value2 = _text(pair[0] if pair else ""), _text(pair[1] if len(pair) > 1 else "")
    elif segment_field.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE) and segment_field.validate_choices:
        chosen = {str(item) for item in (value if isinstance(value, list) else [value] if value else [])}
        row.widget, row.multiple = "select", True
        row.choices = [(choice, label, choice in chosen) for choice, label in segment_field.choice_list()]
    elif segment_field.type == FieldType.NUMBER:
        row.widget, row.value = "number", _text(value)
    elif segment_field.type == FieldType.DATE:
        row.widget, row.value = "date", _text(value)
    else:
        row.widget = "text"
        row.value = ", ".join(str(v) for v in value) if isinstance(value, list) else _text(value)
    return row


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def field_picker() -> list[tuple[str, list[tuple[str, str]]]]:
    """Optgroups for the field select: (group, [(key, label)])."""
    return [(group, [(f.key, str(f.label)) for f in fields]) for group, fields in grouped_fields()]
