"""Module documentation for labshift.lab.plan; the action plugin of the same name does the work."""

from __future__ import annotations

DOCUMENTATION = r"""
module: plan
short_description: Plan a semester's platform windows and write its schedules, calendar and web page
version_added: 0.1.0
description:
  - Reads each room's teaching timetable (WakeUp 课程表 CSV, native YAML or iCalendar), the period
    tables, the semester and the working calendar (chinese-calendar plus school overrides), and
    computes per room the platform windows [start, end) in which no class, lead time or hand-back
    buffer overlaps.
  - Writes, under O(output_dir), C(plan.json), C(awx-schedules.json), C(systemd/) timer and service
    units, C(calendar.ics), one C(calendar-<room>.ics) per room and C(index.html). Files whose
    content did not change are not rewritten.
  - Validates every input first and reports all problems together, in Chinese and English; on any
    problem it writes nothing.
  - Runs on the controller only (action plugin); it never contacts the managed hosts.
author: LabShift
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written; C(changed) tells whether a file would change.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  rooms:
    description: C(labshift_rooms), room id to C({group, name}).
    type: dict
    required: true
  timetable_files:
    description: Room id to a timetable file path or a list of paths, relative to O(base_dir).
    type: dict
    required: true
  semester:
    description: C(labshift_semester) with C(name), C(first_day) (a Monday), C(weeks) and C(exam_weeks).
    type: dict
    required: true
  period_tables:
    description: C(labshift_period_tables), table name to C({periods, rooms, from, to}).
    type: dict
    required: true
  calendar_overrides:
    description:
      - Override file names or inline mappings. File names are searched in O(base_dir), then in the
        collection's C(files/calendar/).
    type: list
    elements: raw
    default: []
  lead_minutes:
    description: Minutes the switch to the platform starts before a window, a whole number from 0 to 1440.
    type: raw
    required: true
  handback_buffer_minutes:
    description:
      - Minutes between a window's end and the next class, for draining and rebooting into teaching.
      - A whole number from 0 to 1440.
    type: raw
    required: true
  min_window_minutes:
    description: Shortest window worth planning, in whole minutes from 0 to 1440.
    type: raw
    required: true
  timezone:
    description: IANA zone of the timetable and of every output.
    type: str
    default: Asia/Shanghai
  language:
    description: Language of the web page, calendar, descriptions and errors (C(zh) or C(en)).
    type: str
    default: zh
  base_dir:
    description: Directory relative timetable and override paths start from, normally the inventory directory.
    type: path
    required: true
  output_dir:
    description: Directory the outputs are written to (created if missing).
    type: path
    required: true
  systemd_working_directory:
    description: WorkingDirectory= of the service units, the repository root on the machine that runs them.
    type: str
    required: true
  systemd_ansible_playbook:
    description: ansible-playbook command the service units run.
    type: str
    default: ansible-playbook
  systemd_inventory:
    description: Inventory the service units pass with C(-i); none when empty.
    type: str
    default: ""
  systemd_user:
    description: User= of the service units; root when empty.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Plan | write the semester plan and its outputs
  labshift.lab.plan:
    rooms: "{{ labshift_rooms }}"
    timetable_files: "{{ labshift_timetable_files }}"
    semester: "{{ labshift_semester }}"
    period_tables: "{{ labshift_period_tables }}"
    calendar_overrides: "{{ labshift_calendar_overrides | default([]) }}"
    lead_minutes: "{{ labshift_switch_lead_minutes }}"
    handback_buffer_minutes: "{{ labshift_switch_handback_buffer_minutes }}"
    min_window_minutes: "{{ labshift_switch_min_window_minutes }}"
    base_dir: "{{ inventory_dir }}"
    output_dir: "{{ labshift_output_dir }}/plan"
    systemd_working_directory: "{{ playbook_dir | dirname }}"
"""

RETURN = r"""
changed_files:
  description: Output files (relative to O(output_dir)) written, or that would be written in check mode.
  returned: success
  type: list
  elements: str
removed_files:
  description: >-
    Stale files removed: units in C(systemd/) of rooms that no longer have windows, and the
    C(calendar-<room>.ics) of rooms no longer in C(labshift_rooms).
  returned: success
  type: list
  elements: str
rooms:
  description: Per room id, the number of windows and their total minutes.
  returned: success
  type: dict
  sample: {a: {windows: 184, minutes: 150000}}
schedules:
  description: Number of AWX schedules written to C(awx-schedules.json).
  returned: success
  type: int
output_dir:
  description: The directory the outputs are in.
  returned: always
  type: str
summary:
  description: One line for staff with the windows per room and the schedule count, in O(language).
  returned: success
  type: str
  sample: "Platform windows: room a 207, room b 159; 114 AWX schedules in /srv/labshift/output/example/plan."
"""

if __name__ == "__main__":
    raise SystemExit("labshift.lab.plan runs as an action plugin on the controller; call it from a playbook.")
