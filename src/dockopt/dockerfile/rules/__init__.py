"""The lint rules. Importing this package registers every rule in `RULES`.

Id scheme: DO1xx size, DO2xx security, DO3xx speed (build cache), DO4xx correctness.
"""

from dockopt.dockerfile.rules import correctness, security, size, size_images, size_layers, speed  # noqa: F401
from dockopt.dockerfile.rules.base import RULES, Hit, LintContext, LintOptions, Rule

# Registration order follows imports; present the rules by id.
_ordered = dict(sorted(RULES.items()))
RULES.clear()
RULES.update(_ordered)

__all__ = ["RULES", "Hit", "LintContext", "LintOptions", "Rule"]
