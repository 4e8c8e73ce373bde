import re

from dockopt.cli.main import COMMANDS


def test_version(dockopt):
    out = dockopt("--version")
    assert out.returncode == 0
    assert re.search(r"dockopt, version \d+\.\d+\.\d+", out.stdout)


def test_help_lists_every_command(dockopt):
    out = dockopt("--help")
    assert out.returncode == 0
    for name in COMMANDS:
        assert name in out.stdout


def test_every_command_has_help(dockopt):
    for name in COMMANDS:
        out = dockopt(name, "--help")
        assert out.returncode == 0, out.stderr
        assert "Usage:" in out.stdout


def test_unknown_command_is_usage_error(dockopt):
    out = dockopt("no-such-command")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
