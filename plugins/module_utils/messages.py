"""Bilingual (Chinese and English) messages shared by every LabShift plugin and role.

Each core module registers a catalog of message keys with a Chinese and an English template.
Errors carry a key and parameters, so the text is chosen at the edge by the single site-wide
setting ``labshift_language`` (``zh`` by default, or ``en``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")

_CATALOG: dict[str, dict[str, str]] = {
    "language.invalid": {
        "zh": "labshift_language 的值 {value!r} 无效：请设为 zh 或 en。",
        "en": "labshift_language value {value!r} is invalid: set it to zh or en.",
    },
    "message.unknown_key": {
        "zh": "内部错误：未注册的消息键 {key!r}。",
        "en": "Internal error: message key {key!r} is not registered.",
    },
}


def register(catalog: Mapping[str, Mapping[str, str]]) -> None:
    """Add message templates. Each key needs both a ``zh`` and an ``en`` template.

    Raises ValueError for a key that lacks a language or is registered twice with other text.
    """
    for key, templates in catalog.items():
        missing = [lang for lang in LANGUAGES if lang not in templates]
        if missing:
            raise ValueError(f"message {key!r} has no template for {', '.join(missing)}")
        existing = _CATALOG.get(key)
        if existing is not None and existing != dict(templates):
            raise ValueError(f"message {key!r} is already registered with other text")
        _CATALOG[key] = dict(templates)


def normalize_language(language: str | None) -> str:
    """Map a language setting (``zh``, ``zh-CN``, ``en``, ``en_US``, None) to ``zh`` or ``en``."""
    if language is None or language == "":
        return DEFAULT_LANGUAGE
    code = str(language).strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise LabShiftError("language.invalid", value=language)
    return code


def render(key: str, language: str | None = None, **params: Any) -> str:
    """Format the message ``key`` in ``language`` with ``params``."""
    lang = normalize_language(language)
    templates = _CATALOG.get(key)
    if templates is None:
        templates = _CATALOG["message.unknown_key"]
        params = {"key": key}
    return templates[lang].format(**params)


def catalog_keys() -> list[str]:
    """Return every registered message key, sorted."""
    return sorted(_CATALOG)


class LabShiftError(Exception):
    """An error that users read, rendered in their language by ``render``.

    ``key`` names a registered message; ``params`` fill its template. ``str()`` gives the
    Chinese and English text together, for logs read by people of either language.
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def message(self, language: str | None = None) -> str:
        """Render this error in ``language``."""
        return render(self.key, language, **self.params)

    def __str__(self) -> str:
        return f"{self.message('zh')} / {self.message('en')}"


class LabShiftErrors(LabShiftError):
    """Several user-facing errors found in one validation pass, reported together."""

    def __init__(self, errors: list[LabShiftError]) -> None:
        self.errors = errors
        super().__init__("errors.many", count=len(errors))

    def message(self, language: str | None = None) -> str:
        return "\n".join(error.message(language) for error in self.errors)


register(
    {
        "errors.many": {
            "zh": "发现 {count} 个问题。",
            "en": "{count} problems found.",
        },
    }
)
