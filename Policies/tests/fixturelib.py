"""What the fixture generators (make-*-fixtures.py) share: the captured base
documents, a document changed from a base, and writing one fixture file.

Each generator imports it (`import fixturelib`; Python puts the script's own
folder first on the import path, so `python3 Policies/tests/make-….py` works
from anywhere).
"""
import copy, json, os

here = os.path.dirname(os.path.abspath(__file__))


def base(name="good-host.json"):
    """A captured document from base/ (good-host.json: the clean live host)."""
    with open(os.path.join(here, "base", name)) as f:
        return json.load(f)


def changed(document, *changes):
    """A deep copy of `document` with each change (a function of the copy) applied in order."""
    d = copy.deepcopy(document)
    for change in changes:
        if change:
            change(d)
    return d


def write(folder, name, expect, description, facts, parameters=None, egress=None):
    """Writes <folder>/<name>.json below Policies/tests: expect, description,
    parameters and egress when given, then the facts document."""
    path = os.path.join(here, folder)
    os.makedirs(path, exist_ok=True)
    out = {"expect": expect, "description": description}
    if parameters:
        out["parameters"] = parameters
    if egress is not None:
        out["egress"] = egress
    out["facts"] = facts
    with open(os.path.join(path, name + ".json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
