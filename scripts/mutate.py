#!/usr/bin/env python3
"""Mutation testing for dockopt's core modules (a developer tool, not part of CI).

For each module in TARGETS, every mutation point found in its syntax tree (comparison flips and
boundary shifts, and/or swaps, `not` removal, integer constants ±1, string constants emptied,
`return X` → `return None`, simple statements deleted, `+`↔`-`, slice bounds) becomes one mutant.
A mutant is *reachable* when its line is executed by the module's engine-free tests (measured
once per module with `coverage`); only reachable mutants are run. Each runs the module's tests in
a forked child that compiles the mutated tree in place of the module, with a timeout (a timeout
or crash counts as killed). Survivors are listed with file:line, operator and the changed code.

    nice -n 10 python scripts/mutate.py                 # every module in TARGETS
    nice -n 10 python scripts/mutate.py image/tarstream.py --json out.json

Equivalent mutants (no test can tell them apart from the original) are excluded only through
scripts/mutate_exclusions.json, each with a written reason; see that file's header.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "dockopt"
EXCLUSIONS = Path(__file__).with_name("mutate_exclusions.json")
TIMEOUT_S = 60.0

# Module (relative to src/dockopt) → the engine-free tests that exercise it, fastest first.
VERSION_TESTS = ["tests/vuln/test_versions.py", "tests/vuln/test_versions_exact.py"]
TARGETS: dict[str, list[str]] = {
    "vuln/versions/__init__.py": VERSION_TESTS,
    "vuln/versions/debian.py": VERSION_TESTS,
    "vuln/versions/rpm.py": VERSION_TESTS,
    "vuln/versions/maven.py": VERSION_TESTS,
    "vuln/versions/pep440.py": VERSION_TESTS,
    "vuln/versions/semver.py": VERSION_TESTS,
    "vuln/versions/rubygems.py": VERSION_TESTS,
    "vuln/versions/alpine.py": VERSION_TESTS,
    "vuln/ranges.py": ["tests/vuln/test_ranges_cvss.py", "tests/vuln/test_ranges_exact.py"],
    "dockerfile/lexer.py": ["tests/lint/test_parser.py", "tests/lint/test_lexer_exact.py"],
    "dockerfile/parser.py": ["tests/lint/test_parser.py", "tests/lint/test_lexer_exact.py"],
    "dockerfile/rules/edits.py": ["tests/lint/test_rules.py", "tests/lint/test_fix_exact.py"],
    "dockerfile/fix.py": ["tests/lint/test_rules.py", "tests/lint/test_fix_exact.py"],
    "dockerfile/dockerignore.py": ["tests/test_dockerignore.py"],
    "image/tarheader.py": ["tests/image/test_tarstream_exact.py", "tests/image/test_link_boundaries.py",
                           "tests/image/test_fast_header.py", "tests/image/test_tar_formats.py",
                           "tests/image/test_tar_walk.py", "tests/image/test_merged_fs.py"],
    "image/tarstream.py": ["tests/image/test_tarstream_exact.py", "tests/image/test_link_boundaries.py",
                           "tests/image/test_merged_fs.py", "tests/image/test_tar_formats.py",
                           "tests/image/test_tar_walk.py", "tests/image/test_streams.py"],
    "image/filesystem.py": ["tests/image/test_merged_fs.py", "tests/image/test_link_boundaries.py"],
    "inspect/waste.py": ["tests/image/test_merged_fs.py", "tests/image/test_waste.py"],
    "inspect/secret_rules.py": ["tests/test_secret_rules.py"],
}

COMPARE_SWAPS = {
    ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt],
    ast.GtE: [ast.Gt, ast.LtE], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
    ast.Is: [ast.IsNot], ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In],
}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
               ast.Mod: ast.FloorDiv, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
               ast.LShift: ast.RShift, ast.RShift: ast.LShift}
DELETABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Continue, ast.Break,
             ast.Delete)


@dataclass
class Mutant:
    module: str
    index: int
    line: int
    operator: str
    function: str
    original: str
    mutated: str
    status: str = "pending"      # killed | survived | unreached | excluded | timeout
    reason: str = ""

    def key(self) -> dict:
        return {"module": self.module, "function": self.function, "operator": self.operator,
                "original": self.original, "mutated": self.mutated}


class _Mutator(ast.NodeTransformer):
    """Walks a tree in a fixed order, numbering each possible mutation. With `target` set, it
    applies mutation number `target` and leaves the rest; with `target` None it only records."""

    def __init__(self, source: str, target: int | None = None) -> None:
        self.source = source
        self.target = target
        self.count = 0
        self.points: list[tuple[int, str, str, str, str]] = []   # line, operator, function, old, new
        self.scope: list[str] = []
        self.in_annotation = 0

    # -- bookkeeping ------------------------------------------------------------------------
    def _point(self, node: ast.AST, operator: str, make, describe_new) -> ast.AST | None:
        """Register one mutation of `node`; return the replacement when it is the target."""
        index = self.count
        self.count += 1
        if self.target is None:
            old = ast.get_source_segment(self.source, node) or ast.unparse(node)
            self.points.append((node.lineno, operator, ".".join(self.scope) or "<module>",
                                _one_line(old), _one_line(describe_new())))
            return None
        if index == self.target:
            return make()
        return None

    def _scoped(self, node):
        self.scope.append(node.name)
        # Decorators and annotations are not behaviour worth mutating; the body is.
        node.body = self._visit_body(node.body, docstring=True)
        self.scope.pop()
        return node

    def _visit_body(self, body: list[ast.stmt], docstring: bool = False) -> list[ast.stmt]:
        out = []
        for i, stmt in enumerate(body):
            if docstring and i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                    and isinstance(stmt.value.value, str):
                out.append(stmt)
                continue
            out.append(self.visit(stmt))
        return out

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Module(self, node):
        node.body = self._visit_body(node.body, docstring=True)
        return node

    def generic_visit(self, node):
        for name, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, name, self._visit_body(value))
            elif isinstance(value, list):
                setattr(node, name, [self.visit(v) if isinstance(v, ast.AST) else v for v in value])
            elif isinstance(value, ast.AST):
                setattr(node, name, self.visit(value))
        return node

    def visit(self, node):
        if isinstance(node, ast.Assign) and _is_main_guard_noise(node):
            return node   # `__all__`: the names of the public interface, not behaviour
        if isinstance(node, ast.stmt) and isinstance(node, DELETABLE) and not _is_main_guard_noise(node):
            replacement = self._point(node, "delete-statement",
                                      lambda: ast.copy_location(ast.Pass(), node), lambda: "pass")
            if replacement is not None:
                return replacement
        return super().visit(node)

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant):
            return node   # a docstring of an attribute: documentation, not behaviour
        return self.generic_visit(node)

    # -- annotations are skipped entirely ----------------------------------------------------
    def visit_AnnAssign(self, node):
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_arg(self, node):
        return node

    # -- operators ---------------------------------------------------------------------------
    def visit_Compare(self, node):
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            for new_op in COMPARE_SWAPS.get(type(op), []):
                def make(i=i, new_op=new_op):
                    node.ops[i] = new_op()
                    return node
                def describe(i=i, new_op=new_op):
                    clone = copy.deepcopy(node)
                    clone.ops[i] = new_op()
                    return ast.unparse(clone)
                result = self._point(node, f"compare {_op(op)}→{_op(new_op())}", make, describe)
                if result is not None:
                    return result
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        new_type = ast.Or if isinstance(node.op, ast.And) else ast.And
        def make():
            node.op = new_type()
            return node
        def describe():
            return ast.unparse(ast.BoolOp(op=new_type(), values=node.values))
        result = self._point(node, f"boolop {_op(node.op)}→{_op(new_type())}", make, describe)
        return result if result is not None else node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            result = self._point(node, "remove-not", lambda: node.operand, lambda: ast.unparse(node.operand))
            if result is not None:
                return result
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        new_type = BINOP_SWAPS.get(type(node.op))
        if new_type is None:
            return node
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            return node   # "%s" % x formatting, not arithmetic
        def make():
            node.op = new_type()
            return node
        def describe():
            return ast.unparse(ast.BinOp(left=node.left, op=new_type(), right=node.right))
        result = self._point(node, f"binop {_op(node.op)}→{_op(new_type())}", make, describe)
        return result if result is not None else node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        new_type = BINOP_SWAPS.get(type(node.op))
        if new_type is None:
            return node
        def make():
            node.op = new_type()
            return node
        def describe():
            return ast.unparse(ast.AugAssign(target=node.target, op=new_type(), value=node.value))
        result = self._point(node, f"augassign {_op(node.op)}→{_op(new_type())}", make, describe)
        return result if result is not None else node

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, bool):
            new = not value
            result = self._point(node, f"constant {value}→{new}",
                                 lambda: ast.copy_location(ast.Constant(new), node), lambda: repr(new))
            return result if result is not None else node
        if isinstance(value, int):
            for delta in (1, -1):
                new = value + delta
                result = self._point(node, f"constant {'+' if delta > 0 else '-'}1",
                                     lambda new=new: ast.copy_location(ast.Constant(new), node),
                                     lambda new=new: repr(new))
                if result is not None:
                    return result
            return node
        if isinstance(value, str) and value:
            result = self._point(node, "string→empty",
                                 lambda: ast.copy_location(ast.Constant(""), node), lambda: "''")
            return result if result is not None else node
        return node

    def visit_JoinedStr(self, node):
        # f-strings: empty the whole string once; their pieces are not mutated one by one.
        result = self._point(node, "string→empty", lambda: ast.copy_location(ast.Constant(""), node),
                             lambda: "''")
        return result if result is not None else node

    def visit_Return(self, node):
        self.generic_visit(node)
        if node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None):
            return node
        result = self._point(node, "return→None", lambda: ast.copy_location(ast.Return(value=None), node),
                             lambda: "return None")
        return result if result is not None else node

    def visit_Slice(self, node):
        self.generic_visit(node)
        for bound in ("lower", "upper"):
            value = getattr(node, bound)
            if value is None:
                continue
            def make(bound=bound):
                setattr(node, bound, None)
                return node
            def describe(bound=bound):
                clone = copy.deepcopy(node)
                setattr(clone, bound, None)
                return ast.unparse(clone)
            result = self._point(node, f"slice drop {bound}", make, describe)
            if result is not None:
                return result
        return node


def _is_main_guard_noise(node: ast.stmt) -> bool:
    """`__all__ = [...]` and bare `...`/string statements carry no behaviour."""
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
        return True
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _op(op: ast.AST) -> str:
    names = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
             ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.And: "and",
             ast.Or: "or", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%",
             ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>"}
    return names.get(type(op), type(op).__name__)


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."


def enumerate_mutants(module: str) -> tuple[str, list[Mutant]]:
    path = PACKAGE / module
    source = path.read_text()
    mutator = _Mutator(source)
    mutator.visit(ast.parse(source))
    mutants = [Mutant(module, i, line, op, fn, old, new)
               for i, (line, op, fn, old, new) in enumerate(mutator.points)]
    return source, mutants


def mutated_code(module: str, source: str, index: int):
    tree = ast.parse(source)
    mutator = _Mutator(source, target=index)
    tree = mutator.visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, str(PACKAGE / module), "exec")


# -- coverage: which lines do the module's tests execute, and which tests execute each line? ----

def covered_lines(module: str, tests: list[str], python: str) -> dict[int, set[str]]:
    """line → the pytest node ids (file::function) that execute it; "" stands for "outside any
    test function" (import time, fixtures), which makes a mutant on that line run every test."""
    path = PACKAGE / module
    with tempfile.TemporaryDirectory(prefix="dockopt-mutate-") as tmp:
        data = Path(tmp) / ".coverage"
        report = Path(tmp) / "cov.json"
        rc = Path(tmp) / "rc"
        rc.write_text(f"[run]\ninclude = {path}\ndynamic_context = test_function\n")
        env = {**os.environ, "PYTHONPATH": str(SRC), "COVERAGE_FILE": str(data)}
        subprocess.run([python, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest", "-q",
                        "-p", "no:cacheprovider", "-m", "not engine", *tests],
                       cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        subprocess.run([python, "-m", "coverage", "json", f"--rcfile={rc}", "--show-contexts", "-o", str(report)],
                       cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if not report.exists():
            return {}
        files = json.loads(report.read_text())["files"]
    lines: dict[int, set[str]] = {}
    for entry in files.values():
        for line, contexts in entry.get("contexts", {}).items():
            lines.setdefault(int(line), set()).update(_node_id(c) for c in contexts)
    return lines


def _node_id(context: str) -> str:
    """'tests.lint.test_parser.TestX.test_y' → 'tests/lint/test_parser.py::TestX::test_y'."""
    if not context:
        return ""
    parts = context.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = ROOT.joinpath(*parts[:cut]).with_suffix(".py")
        if candidate.is_file():
            return f"{candidate.relative_to(ROOT)}::{'::'.join(parts[cut:])}"
    return ""


# -- running one mutant ---------------------------------------------------------------------------
#
# The parent imports the target module and its test modules once; each mutant runs in a forked
# child that swaps the mutated code into the live objects (function code objects patched in
# place, so every `from x import f` elsewhere sees the mutant; changed module-level values
# rebound) and then runs pytest, which finds the test modules already imported.

def _patch_function(old, new) -> bool:
    old_fn = getattr(old, "__wrapped__", old)
    new_fn = getattr(new, "__wrapped__", new)
    if isinstance(old_fn, types.FunctionType) and isinstance(new_fn, types.FunctionType):
        if old_fn.__code__.co_freevars == new_fn.__code__.co_freevars:
            old_fn.__code__ = new_fn.__code__
            old_fn.__defaults__ = new_fn.__defaults__
            old_fn.__kwdefaults__ = new_fn.__kwdefaults__
            return True
    return False


def _patch_class(old: type, new: type) -> None:
    for name, new_value in vars(new).items():
        if name in ("__dict__", "__weakref__", "__module__", "__qualname__", "__doc__"):
            continue
        old_value = vars(old).get(name)
        if old_value is None:
            continue
        if isinstance(new_value, (staticmethod, classmethod)):
            _patch_function(old_value.__func__, new_value.__func__)
        elif isinstance(new_value, property):
            for accessor in ("fget", "fset", "fdel"):
                if getattr(new_value, accessor) and getattr(old_value, accessor):
                    _patch_function(getattr(old_value, accessor), getattr(new_value, accessor))
        elif isinstance(new_value, type) and isinstance(old_value, type):
            _patch_class(old_value, new_value)
        elif _patch_function(old_value, new_value):
            pass
        elif not _same(old_value, new_value):
            try:
                setattr(old, name, new_value)
            except (AttributeError, TypeError):
                pass


def _same(a, b) -> bool:
    try:
        return bool(a is b or (type(a) is type(b) and a == b))
    except Exception:
        return False


def apply_mutant(live: types.ModuleType, code) -> None:
    namespace = {k: live.__dict__[k] for k in ("__name__", "__file__", "__package__", "__spec__", "__path__",
                                                  "__loader__") if k in live.__dict__}
    exec(code, namespace)
    old = live.__dict__
    for name in list(old):
        if name.startswith("__") or isinstance(old[name], types.ModuleType):
            continue
        if name not in namespace:
            del old[name]          # a deleted module-level assignment
    for name, new_value in list(namespace.items()):
        if name.startswith("__"):
            continue
        old_value = old.get(name, _MISSING)
        if old_value is _MISSING:
            old[name] = new_value
        elif isinstance(old_value, type) and isinstance(new_value, type):
            _patch_class(old_value, new_value)
            namespace[name] = old_value
        elif callable(old_value) and _patch_function(old_value, new_value):
            namespace[name] = old_value
        elif not _same(old_value, new_value):
            old[name] = new_value


_MISSING = object()


def _module_name(module: str) -> str:
    parts = ["dockopt", *Path(module).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def preload(module: str, tests: list[str]) -> types.ModuleType:
    live = importlib.import_module(_module_name(module))
    for test in tests:
        importlib.import_module(".".join(Path(test).with_suffix("").parts))
    return live


def run_mutant(live: types.ModuleType, code, tests: list[str]) -> str:
    pid = os.fork()
    if pid == 0:   # child
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            apply_mutant(live, code)
            import pytest
            # No third-party plugins: hypothesis and anyio alone cost seconds per child.
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
            rc = pytest.main(["-q", "-x", "-p", "no:cacheprovider", "--assert=plain", "-m", "not engine", *tests])
            os._exit(int(rc))
        except BaseException:
            os._exit(99)
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "survived" if os.waitstatus_to_exitcode(status) == 0 else "killed"
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.01)


def _file_rank(node: str, tests: list[str]) -> int:
    path = node.split("::", 1)[0]
    return tests.index(path) if path in tests else len(tests)


def baseline_passes(tests: list[str], python: str) -> bool:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not engine",
                           *tests], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def load_exclusions() -> list[dict]:
    if not EXCLUSIONS.exists():
        return []
    entries = json.loads(EXCLUSIONS.read_text())["equivalent"]
    for entry in entries:
        if not entry.get("reason"):
            raise SystemExit(f"{EXCLUSIONS.name}: every exclusion needs a reason: {entry}")
    return entries


def _excluded(mutant: Mutant, exclusions: list[dict]) -> str | None:
    key = mutant.key()
    for entry in exclusions:
        if all(entry.get(k) == v for k, v in key.items()):
            return entry["reason"]
    return None


@dataclass
class ModuleResult:
    module: str
    killed: int = 0
    survived: int = 0
    reachable: int = 0
    unreached: int = 0
    excluded: int = 0
    baseline_failed: bool = False
    survivors: list[dict] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.killed / self.reachable if self.reachable else 1.0


def mutate_module(module: str, tests: list[str], python: str, exclusions: list[dict],
                  progress) -> ModuleResult:
    tests = [t for t in tests if (ROOT / t).exists()]
    result = ModuleResult(module)
    if not baseline_passes(tests, python):
        # Mutants of a module whose tests already fail would all count as killed.
        print(f"{module}: SKIPPED, the tests fail without any mutation: {' '.join(tests)}", file=sys.stderr)
        result.baseline_failed = True
        return result
    source, mutants = enumerate_mutants(module)
    lines = covered_lines(module, tests, python)
    live = preload(module, tests)
    for mutant in mutants:
        if mutant.line not in lines:
            mutant.status = "unreached"
            result.unreached += 1
            continue
        # A module-level line runs once, at import, under whichever test imported the module
        # first: every test of the module depends on it.
        everything = "" in lines[mutant.line] or mutant.function == "<module>"
        selected = tests if everything else sorted(
            lines[mutant.line], key=lambda node: (_file_rank(node, tests), node))
        # A mutant the tests kill is never excluded: an exclusion only explains a survivor.
        status = run_mutant(live, mutated_code(module, source, mutant.index), selected)
        reason = _excluded(mutant, exclusions) if status == "survived" else None
        if reason:
            mutant.status, mutant.reason = "excluded", reason
            result.excluded += 1
            continue
        mutant.status = status
        result.reachable += 1
        if status == "survived":
            result.survived += 1
            result.survivors.append(asdict(mutant))
        else:
            result.killed += 1
        progress(mutant)
    return result


def render_text(results: list[ModuleResult]) -> str:
    out = [f"{'module':34} {'killed':>7} {'reachable':>9} {'ratio':>7} {'survived':>8} {'unreached':>9} "
           f"{'excluded':>8}"]
    total = ModuleResult("TOTAL")
    for r in results:
        out.append(f"{r.module:34} {r.killed:7} {r.reachable:9} {r.ratio:7.1%} {r.survived:8} {r.unreached:9} "
                   f"{r.excluded:8}")
        for name in ("killed", "survived", "reachable", "unreached", "excluded"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    out.append(f"{'TOTAL':34} {total.killed:7} {total.reachable:9} {total.ratio:7.1%} {total.survived:8} "
               f"{total.unreached:9} {total.excluded:8}")
    for r in results:
        for s in r.survivors:
            out.append(f"SURVIVED src/dockopt/{s['module']}:{s['line']} [{s['operator']}] in {s['function']}: "
                       f"{s['original']}  →  {s['mutated']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules relative to src/dockopt (default: all TARGETS)")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--list", action="store_true", help="list the mutants without running them")
    args = parser.parse_args(argv)
    modules = args.modules or list(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        parser.error(f"no tests configured for {', '.join(unknown)}")
    if args.list:
        for module in modules:
            for m in enumerate_mutants(module)[1]:
                print(f"{module}:{m.line} [{m.operator}] {m.original} → {m.mutated}")
        return 0
    os.environ["PYTHONPATH"] = str(SRC)
    sys.path.insert(0, str(SRC))
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    exclusions = load_exclusions()
    # Imported once here so that each forked child starts with them loaded (never dockopt itself).
    import pytest  # noqa: F401
    for heavy in ("click", "rich", "yaml", "httpx"):
        try:
            __import__(heavy)
        except ImportError:
            pass
    results = []
    for module in modules:
        started = time.monotonic()
        result = mutate_module(module, TARGETS[module], args.python, exclusions,
                               lambda m: print(f"  {m.status:8} {m.module}:{m.line} [{m.operator}]",
                                               file=sys.stderr, flush=True))
        print(f"{module}: {result.killed}/{result.reachable} killed ({result.ratio:.1%}), "
              f"{result.unreached} unreached, {result.excluded} excluded, {time.monotonic() - started:.0f}s",
              file=sys.stderr, flush=True)
        results.append(result)
        if args.json:  # after every module, so a long run interrupted keeps what it measured
            payload = {"modules": [{**asdict(r), "ratio": r.ratio} for r in results]}
            tmp = args.json.with_name(args.json.name + ".tmp")
            tmp.write_text(json.dumps(payload, indent=2))
            tmp.replace(args.json)
    print(render_text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
