"""Validates a junit.xml against the JUnit schemas given, then reads it
with junitparser (PyPI) and prints, as JSON, what it counts.

Usage: .venv/bin/python junit_check.py JUNIT_XML XSD...
Exit 1 with the schema's complaint when the file is not valid.
"""
import json
import sys

import xmlschema
from junitparser import JUnitXml, TestSuite

path, xsds = sys.argv[1], sys.argv[2:]
for xsd in xsds:
    errors = list(xmlschema.XMLSchema(xsd).iter_errors(path))
    if errors:
        print(f"{path} is not valid against {xsd}: {errors[0].reason} at {errors[0].path}")
        sys.exit(1)

xml = JUnitXml.fromfile(path)
suites = [xml] if isinstance(xml, TestSuite) else list(xml)
out = {"suites": []}
for suite in suites:
    cases = []
    for case in suite:
        cases.append({
            "name": case.name,
            "time": case.time,
            "passed": case.is_passed,
            "skipped": case.is_skipped,
            "message": case.result[0].message if case.result else None,
        })
    out["suites"].append({
        "name": suite.name,
        "tests": suite.tests,
        "failures": suite.failures,
        "errors": suite.errors,
        "skipped": suite.skipped,
        "time": suite.time,
        "hostname": suite.hostname,
        "timestamp": suite.timestamp,
        # junitparser reads a testcase's system-out, not a suite's.
        "system_out": suite._elem.findtext("system-out"),
        "cases": cases,
    })
print(json.dumps(out))
