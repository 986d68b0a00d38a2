"""Validates NATS service API replies against the io.nats.micro.v1 schemas (python3-jsonschema).

Usage: validate_micro.py SCHEMA_DIR REPLY.json...  Each reply's "type" picks its schema. Prints one line per reply
and exits 1 when any reply is invalid (or has an unknown type), 0 when all are valid.
"""
import json
import os
import sys

import jsonschema

schemas = sys.argv[1]
failed = 0
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    kind = str(doc.get("type", ""))
    prefix = "io.nats.micro.v1."
    if not kind.startswith(prefix):
        print(f"{path}: unknown type {kind!r}")
        failed += 1
        continue
    with open(os.path.join(schemas, kind[len(prefix):] + ".json"), encoding="utf-8") as f:
        schema = json.load(f)
    checker = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(checker.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"{path}: {kind}: {'/'.join(map(str, e.path))}: {e.message}")
    if errors:
        failed += 1
    else:
        print(f"{path}: {kind}: valid")
sys.exit(1 if failed else 0)
