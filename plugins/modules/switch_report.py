#!/usr/bin/python
"""Documentation of labshift.lab.switch_report; the action plugin of the same name does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: switch_report
short_description: Write the per-node report of a switch-over run
description:
  - Writes C(report-<direction>-<time>.json) (reasons in Chinese and English) and C(.txt) (in the
    run's language) under O(output_dir), plus C(latest-<direction>.json) and C(.txt).
  - Each node is switched, late, failed, held or skipped, with the reason.
  - Fails when a node failed to hand back to teaching in time, or when a room was locked by another
    run (O(fail_on_locked)); with O(fail_on_error=false) it returns the message in RV(failure) instead.
version_added: 0.1.0
author: LabShift developers
options:
  switch:
    description: The run state returned by the last switch step.
    type: dict
    required: true
  output_dir:
    description: Directory for the report files.
    type: path
    required: true
  fail_on_locked:
    description: Count a room locked by another run as a failure.
    type: bool
    default: true
  fail_on_error:
    description: Fail the task on a failure; when false, return it in RV(failure).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: In check mode the report text is returned and no file is written.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Write the per-node report
  labshift.lab.switch_report:
    switch: "{{ __switch_left.switch }}"
    output_dir: "{{ labshift_output_dir }}/switch"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
report_json:
  description: Path of the JSON report.
  returned: success and not check mode
  type: str
report_text:
  description: Lines of the text report.
  returned: always
  type: list
  elements: str
summary:
  description: Count of nodes per outcome.
  returned: success and not check mode
  type: dict
failure:
  description: Why the run failed, empty when it did not.
  returned: success and not check mode
  type: str
"""
