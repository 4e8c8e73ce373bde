"""Ignore rules for vulnerability matches: an id (record id or any alias), optionally a
package, a mandatory reason and an optional expiry date. An expired rule stops applying, so
the vulnerability fails the gate again until someone renews or removes the rule.

    ignore:
      - id: CVE-2023-4863
        package: libwebp7          # optional: binary, source or purl
        reason: not reachable, no image decoding in this service
        expires: 2027-01-31        # optional
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockopt.config import read_user_text
from dockopt.errors import InputError
from dockopt.safeload import load_yaml
from dockopt.vuln.match import Match


@dataclass(frozen=True)
class IgnoreRule:
    id: str
    reason: str
    package: str | None = None
    expires: dt.date | None = None
    origin: str = ""
    """Where the rule was written (file and entry number), for messages."""

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def applies_to(self, match: Match) -> bool:
        wanted = self.id.upper()
        if not any(wanted == vid.upper() for vid in match.vulnerability_ids):
            return False
        if self.package is None:
            return True
        pkg = match.package
        return self.package in {pkg.name, pkg.source_name, match.looked_up_name, pkg.purl}


@dataclass(frozen=True)
class Ignored:
    match: Match
    rule: IgnoreRule


def parse_rules(data: Any, origin: str) -> list[IgnoreRule]:
    if data is None:
        return []
    if isinstance(data, dict):
        data = data.get("ignore", [])
    if not isinstance(data, list):
        raise InputError(f"{origin}: expected a list of ignore rules (or a mapping with `ignore:`)")
    rules = []
    for number, entry in enumerate(data, 1):
        where = f"{origin} entry {number}"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected a mapping with id and reason")
        unknown = set(entry) - {"id", "package", "reason", "expires"}
        if unknown:
            raise InputError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        vid, reason = entry.get("id"), entry.get("reason")
        if not isinstance(vid, str) or not vid.strip():
            raise InputError(f"{where}: `id` (a vulnerability id such as CVE-2024-1234) is required")
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(f"{where}: `reason` is required (say why {vid} is acceptable)")
        package = entry.get("package")
        if package is not None and not isinstance(package, str):
            raise InputError(f"{where}: `package` must be a string")
        expires = entry.get("expires")
        if isinstance(expires, dt.datetime):
            expires = expires.date()
        elif isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires.strip())
            except ValueError:
                raise InputError(f"{where}: `expires` must be a date like 2027-01-31, not {expires!r}") from None
        elif expires is not None and not isinstance(expires, dt.date):
            raise InputError(f"{where}: `expires` must be a date like 2027-01-31")
        rules.append(IgnoreRule(vid.strip(), reason.strip(), package, expires, where))
    return rules


def load_rules(path: Path) -> list[IgnoreRule]:
    text = read_user_text(path, "ignore file")
    return parse_rules(load_yaml(text, f"ignore file {path}"), str(path))


def apply(matches: list[Match], rules: list[IgnoreRule], today: dt.date | None = None
          ) -> tuple[list[Match], list[Ignored], list[str]]:
    """(kept, ignored, notes). The first rule in file order that applies and has not expired
    decides; each expired rule that would have applied is noted. Rules are looked up by id
    (upper-cased), so the cost is linear in rules plus matches, not their product."""
    today = today or dt.date.today()
    by_id: dict[str, list[int]] = {}
    for position, rule in enumerate(rules):
        by_id.setdefault(rule.id.upper(), []).append(position)
    kept: list[Match] = []
    ignored: list[Ignored] = []
    notes: dict[str, None] = {}
    for match in matches:
        positions = sorted({p for vid in match.vulnerability_ids for p in by_id.get(vid.upper(), ())})
        rule_used = None
        for position in positions:
            rule = rules[position]
            if rule.applies_to(match):
                if rule.expired(today):
                    notes.setdefault(f"ignore rule for {rule.id} ({rule.origin}) expired on {rule.expires}; "
                                     f"it no longer applies")
                    continue
                rule_used = rule
                break
        if rule_used:
            ignored.append(Ignored(match, rule_used))
        else:
            kept.append(match)
    return kept, ignored, list(notes)
