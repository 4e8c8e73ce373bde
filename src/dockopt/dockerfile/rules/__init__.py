"""The lint rules. Importing this package registers every rule in `RULES`.

Id scheme: DO1xx size, DO2xx security, DO3xx speed (build cache), DO4xx correctness.
"""

from dockopt.dockerfile.rules import correctness, security, size, size_images, size_layers, speed  # noqa: F401
from dockopt.dockerfile.rules.base import RULES as _RULES

# Registration order follows imports; present the rules by id.
_ordered = dict(sorted(_RULES.items()))
_RULES.clear()
_RULES.update(_ordered)
from dockopt.dockerfile.rules.base import RULES, Hit, LintContext, LintOptions, Rule

__all__ = ["RULES", "Hit", "LintContext", "LintOptions", "Rule"]
