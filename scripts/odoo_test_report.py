"""Summarise an ``odoo-bin --test-enable`` log and decide whether the Odoo layer passed.

It fails on: a non-zero odoo-bin exit, failed or errored tests, no tests at all, a browser
tour Odoo skipped (missing Chromium / websocket-client only logs a warning upstream), and any
WARNING/ERROR/CRITICAL log line (tests that expect one silence it with ``mute_logger``).
"""

import pathlib
import re
import sys

RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (WARNING|ERROR|CRITICAL) (\S+) (\S+): (.*)"
)
SKIPPED = re.compile(r" skipped (\S+) : (.*)")
# Noise Odoo itself prints on machines like CI's, unrelated to the code under test.
TOLERATED = (re.compile(r"Running as user 'root' is a security risk"),)


def main(log_path, odoo_rc, label="Odoo layer"):
    text = pathlib.Path(log_path).read_text(encoding="utf-8", errors="replace")
    problems = []
    result = RESULT.findall(text)
    failed = errors = run = 0
    if result:
        failed, errors, run = map(int, result[-1])
    else:
        problems.append("no test result line: Odoo did not finish loading (see the log)")
    if run == 0:
        problems.append("no Odoo test ran")
    for line in text.splitlines():
        match = LOG_LINE.match(line)
        if match and not any(pattern.search(line) for pattern in TOLERATED):
            problems.append(f"log {match.group(1)}: {match.group(3)}: {match.group(4)[:300]}")
        skipped = SKIPPED.search(line)
        if skipped:
            problems.append(f"skipped test {skipped.group(1)}: {skipped.group(2)}")
    if odoo_rc != 0:
        problems.append(f"odoo-bin exited with {odoo_rc}")
    for problem in problems:
        print(f"  - {problem}")
    passed = max(run - failed - errors, 0)
    print(f"{label}: {passed} passed, {failed + errors} failed")
    return 1 if problems or failed or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:]))
