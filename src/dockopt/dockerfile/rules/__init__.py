"""The lint rules. Importing this package registers every rule in `RULES`.

Id scheme: DO1xx size, DO2xx security, DO3xx speed (build cache), DO4xx correctness.
"""

from dockopt.dockerfile.rules import correctness, security, size, speed  # noqa: F401  (registration)
from dockopt.dockerfile.rules.base import RULES, Hit, LintContext, LintOptions, Rule

__all__ = ["RULES", "Hit", "LintContext", "LintOptions", "Rule"]
