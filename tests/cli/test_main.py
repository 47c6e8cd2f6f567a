import importlib

import pytest

from memesnipe.cli.main import COMMANDS, build_parser


@pytest.mark.parametrize("module", COMMANDS)
def test_every_listed_command_module_imports_and_registers(module):
    mod = importlib.import_module(module)
    assert callable(mod.register)


def test_parser_knows_the_core_commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("worker", "run", "simulate", "topics", "report"):
        assert name in sub.choices
