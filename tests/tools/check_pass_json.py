#!/usr/bin/env python3
"""Checks pass.json files against tests/signer/pass_schema.json (JSON Schema 2020-12).

    check_pass_json.py FILE...

Each FILE is a pass.json, or a .pkpass (zip) whose pass.json is checked. Besides the schema,
it checks what a schema cannot express: field keys unique across all field groups of the
pass style. Every problem is printed as "FILE: PATH: message"; the exit status is 1 if there
was any problem (unreadable files included), 0 otherwise, 2 on wrong usage.

Uses Debian's python3-jsonschema (4.x, which implements draft 2020-12).
"""

import json
import os
import sys
import zipfile

import jsonschema

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "signer",
                           "pass_schema.json")
STYLES = ("boardingPass", "coupon", "eventTicket", "generic", "storeCard")
FIELD_GROUPS = ("headerFields", "primaryFields", "secondaryFields", "auxiliaryFields",
                "backFields", "additionalInfoFields")


def load_pass_json(path):
    """The parsed pass.json of a file or .pkpass; raises ValueError with a reason."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    data = archive.read("pass.json")
                except KeyError:
                    raise ValueError("the zip has no pass.json") from None
        else:
            with open(path, "rb") as f:
                data = f.read()
    except (OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"cannot read: {e}") from None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"not valid UTF-8 JSON: {e}") from None


def json_path(parts):
    return "/" + "/".join(str(p) for p in parts) if parts else "(top level)"


def schema_problems(validator, document):
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        message = error.message
        if error.validator == "pattern" and "description" in error.schema:
            # The schema's own words instead of a long regular expression.
            message = f"{error.instance!r} is not {error.schema['description']}"
        yield json_path(list(error.absolute_path)), message


def field_key_problems(document):
    """Field keys must be unique across every field group of the style."""
    if not isinstance(document, dict):
        return
    for style in STYLES:
        fields_of_style = document.get(style)
        if not isinstance(fields_of_style, dict):
            continue
        seen = {}
        for group in FIELD_GROUPS:
            fields = fields_of_style.get(group)
            if not isinstance(fields, list):
                continue
            for index, field in enumerate(fields):
                key = field.get("key") if isinstance(field, dict) else None
                if not isinstance(key, str):
                    continue  # the schema reports it
                where = f"/{style}/{group}/{index}/key"
                if key in seen:
                    yield where, (f"field key {json.dumps(key)} is already used at {seen[key]}; "
                                  "keys must be unique across all field groups")
                else:
                    seen[key] = where


def check_file(path, validator):
    """Problems of one file as (path-in-document, message) pairs."""
    try:
        document = load_pass_json(path)
    except ValueError as e:
        return [("(file)", str(e))]
    return list(schema_problems(validator, document)) + list(field_key_problems(document))


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    failed = False
    for path in argv[1:]:
        for where, message in check_file(path, validator):
            print(f"{path}: {where}: {message}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
