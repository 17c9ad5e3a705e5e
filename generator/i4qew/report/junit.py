"""JUnit XML: one test case per checked file, failing with its error lines.

GitLab shows failed cases in the MR's test summary; warnings are kept in the
case's system-out so a passing file still shows them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from xml.etree import ElementTree as ET

from i4qew.problems import Problem, Severity


def render(problems: Sequence[Problem], files: Sequence[str]) -> str:
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        by_file[p.path].append(p)
    names = sorted(set(files) | set(by_file))
    failures = sum(any(p.severity is Severity.ERROR for p in by_file[n]) for n in names)
    suite = ET.Element("testsuite", name="i4qew validate", tests=str(len(names)), failures=str(failures), errors="0")
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="i4qew.validate", name=name, file=name)
        errors = [p for p in by_file[name] if p.severity is Severity.ERROR]
        others = [p for p in by_file[name] if p.severity is not Severity.ERROR]
        if errors:
            failure = ET.SubElement(case, "failure", type=errors[0].rule,
                                    message=f"{len(errors)} error{'s' * (len(errors) != 1)}")
            failure.text = "\n".join(p.format() for p in errors)
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(p.format() for p in others)
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
