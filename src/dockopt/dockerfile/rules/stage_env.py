"""The ENV and ARG values in effect at each instruction of a stage, built in one pass.

Rules ask "what is `$X` before this instruction?" for many instructions of the same stage.
Recomputing the environment from the top of the stage for each question is quadratic in the
file; instead every variable keeps its assignments by instruction position, and a lookup is a
binary search. ENV (not ARG) values of a parent stage (`FROM base` where `base` is an earlier
stage) are inherited, as BuildKit does.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from typing import Callable

from dockopt.dockerfile.lexer import expand, parse_words
from dockopt.dockerfile.model import Stage

Inherited = Callable[[str], "str | None"]


class StageEnv:
    def __init__(self, stage: Stage, escape: str, inherited: Inherited) -> None:
        self._inherited = inherited
        # name -> (positions, values, is_env): assignments in instruction order
        self._history: dict[str, tuple[list[int], list[str], list[bool]]] = {}
        self._position = {id(ins): pos for pos, ins in enumerate(stage.instructions)}
        self._end = len(stage.instructions)
        for pos, ins in enumerate(stage.instructions):
            if ins.keyword == "ENV" and not ins.error:
                vals = ins.values  # `ENV a=1 b=$a` expands $a as it was before this ENV (Docker's rule)
                for k in range(0, len(vals) - 1, 2):
                    self._assign(vals[k], expand(vals[k + 1], self.at(pos)), pos, True)
            elif ins.keyword == "ARG":
                for word in parse_words(ins.args_text, escape):
                    name, eq, value = word.partition("=")
                    # An ARG never replaces a value already set (ENV wins, the first ARG default stays).
                    if eq and self._lookup(name, pos + 1, env_only=False) is None:
                        self._assign(name, expand(value, self.at(pos + 1)), pos, False)

    def _assign(self, name: str, value: str, pos: int, is_env: bool) -> None:
        positions, values, kinds = self._history.setdefault(name, ([], [], []))
        if positions and positions[-1] == pos:  # `ENV A=1 A=2`: the last one counts
            values[-1], kinds[-1] = value, is_env
            return
        positions.append(pos)
        values.append(value)
        kinds.append(is_env)

    def _lookup(self, name: str, before: int, env_only: bool) -> str | None:
        value = self._own(name, before, env_only)
        return self._inherited(name) if value is None else value

    def _own(self, name: str, before: int, env_only: bool) -> str | None:
        entry = self._history.get(name)
        if entry is not None:
            positions, values, kinds = entry
            i = bisect.bisect_left(positions, before) - 1
            while i >= 0:
                if kinds[i] or not env_only:
                    return values[i]
                i -= 1  # at most one ARG per name (an ARG never replaces a value), so O(1)
        return None

    def at(self, before: int) -> "EnvView":
        return EnvView(self, before)

    def before(self, ins) -> "EnvView":
        """The values in effect before `ins` (None: at the end of the stage)."""
        return self.at(self._end if ins is None else self._position.get(id(ins), self._end))

    def own_final_env(self, name: str) -> str | None:
        """The stage's own last ENV value of `name` (what a stage built FROM it inherits, unless
        it comes from further up)."""
        return self._own(name, self._end, env_only=True)

    def names(self, before: int) -> set[str]:
        return {n for n, (positions, _, _) in self._history.items() if positions[0] < before}


class EnvView(Mapping[str, str]):
    """A read-only view of the environment before one instruction (what `expand` reads)."""

    __slots__ = ("_env", "_before")

    def __init__(self, env: StageEnv, before: int) -> None:
        self._env, self._before = env, before

    def __getitem__(self, name: str) -> str:
        value = self._env._lookup(name, self._before, env_only=False)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._env._lookup(name, self._before, env_only=False) is not None

    def get(self, name: str, default=None):  # type: ignore[override]
        value = self._env._lookup(name, self._before, env_only=False)
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._env.names(self._before)))

    def __len__(self) -> int:
        return len(self._env.names(self._before))

    def __bool__(self) -> bool:  # `env or {}` must not count the names (that is O(n))
        return True
