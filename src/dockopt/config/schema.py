"""Every section and key of the config file, declared once and checked at load.

A command reads only its own section, but the whole file is checked when it is loaded, so a
wrong type anywhere is one line naming the file and the key (`.dockopt.yaml: db.path: expected a
string, got 5`) before any work starts, and a misspelt key is a warning rather than silently
nothing. A new section is one more entry in SECTIONS. Values are checked for their type here;
their meaning (a severity word, a gate name, a rule id) is checked by the command that uses them.
"""

from __future__ import annotations

from dockopt.shape import AnyValue, Bool, ListOf, MapOf, Num, Obj, OneOf, Spec, Str

STRING_OR_LIST = OneOf((Str(), ListOf(Str())))

IGNORE_RULE = Obj({"id": Str(), "package": Str(), "reason": Str(), "expires": AnyValue()},
                  report_unknown=True, words="a mapping with id and reason")
"""One vulnerability ignore rule (`expires` is a date or a date string: YAML may construct either)."""

SECRETS_ALLOW = OneOf((Str(), Obj({"path": Str(), "rule": Str(), "value": Str()}, report_unknown=True)))


def section(fields: dict[str, Spec]) -> Obj:
    return Obj(fields, report_unknown=True, words="a mapping")


SECTIONS: dict[str, Obj] = {
    "analyze": section({
        "fail-on": MapOf(OneOf((Str(), Num()))),  # gate name -> threshold (`20MB`, 0.9, disabled)
        "fail_on": MapOf(OneOf((Str(), Num()))),
        "checks": STRING_OR_LIST,
        "fail-severity": Str(),
        "fail_severity": Str(),
        "secrets": section({"allow": ListOf(SECRETS_ALLOW)}),
    }),
    "lint": section({
        "ignore": STRING_OR_LIST,
        "severity": MapOf(Str()),
        "trusted-registries": ListOf(Str()),
        "fail-on": Str(),
        "fix-unsafe": Bool(),
    }),
    "context": section({"dialect": Str(), "fail-on": Str()}),
    "scan": section({
        "fail-on": Str(),
        "only-fixed": Bool(),
        "match-owned": Bool(),
        "format": Str(),
        "ignore-file": Str(),
        "ignore": OneOf((ListOf(IGNORE_RULE), Obj({"ignore": ListOf(IGNORE_RULE)}, report_unknown=True))),
    }),
    "db": section({"path": Str(), "mirror": Str()}),
    "prune": section({"protect": section({"labels": ListOf(Str()), "repositories": ListOf(Str())})}),
}

CONFIG = Obj(dict(SECTIONS), report_unknown=True, words="a mapping of sections")
