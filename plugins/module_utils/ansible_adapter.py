"""Helpers that turn LabShift core errors into Ansible errors for filter and action plugins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from ansible.errors import AnsibleFilterError

from ansible_collections.labshift.lab.plugins.module_utils.messages import LabShiftError

F = TypeVar("F", bound=Callable[..., Any])


def filter_errors(language_kwarg: str = "language") -> Callable[[F], F]:
    """Wrap a filter so a LabShiftError becomes an AnsibleFilterError in the chosen language.

    The filter's ``language`` keyword argument (default zh) picks the language; Ansible's own
    undefined-variable errors pass through unchanged. The LabShiftError is not chained, because
    Ansible prints a chained cause again, in both languages, under the message.
    """

    def decorate(function: F) -> F:
        @wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except LabShiftError as error:
                raise AnsibleFilterError(error.message(kwargs.get(language_kwarg))) from None

        return wrapper  # type: ignore[return-value]

    return decorate
