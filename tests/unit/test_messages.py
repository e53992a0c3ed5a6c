"""Unit tests for the shared zh/en message catalog."""

from __future__ import annotations

import pytest

from ansible_collections.labshift.lab.plugins.module_utils import messages
from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError


def test_default_language_is_chinese() -> None:
    text = messages.render("errors.many", None, count=3)
    assert text == "发现 3 个问题。"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("zh", "zh"), ("zh-CN", "zh"), ("zh_CN", "zh"), ("EN", "en"), ("en_US", "en"), ("", "zh")],
)
def test_normalize_language_accepts_locales(setting: str, expected: str) -> None:
    assert messages.normalize_language(setting) == expected


def test_normalize_language_rejects_unknown() -> None:
    with pytest.raises(LabShiftError) as raised:
        messages.normalize_language("fr")
    assert "'fr'" in raised.value.message("en")
    assert "zh" in raised.value.message("zh")


def test_register_requires_both_languages() -> None:
    with pytest.raises(ValueError, match="no template for en"):
        messages.register({"test.only_zh": {"zh": "只有中文"}})


def test_register_rejects_conflicting_text() -> None:
    messages.register({"test.twice": {"zh": "一", "en": "one"}})
    messages.register({"test.twice": {"zh": "一", "en": "one"}})
    with pytest.raises(ValueError, match="already registered"):
        messages.register({"test.twice": {"zh": "二", "en": "two"}})


def test_error_str_carries_both_languages() -> None:
    error = LabShiftError("errors.many", count=2)
    assert str(error) == "发现 2 个问题。 / 2 problems found."


def test_errors_group_renders_each() -> None:
    errors = [LabShiftError("errors.many", count=1), LabShiftError("errors.many", count=5)]
    group = messages.LabShiftErrors(errors)
    assert group.message("en").splitlines() == ["1 problems found.", "5 problems found."]
