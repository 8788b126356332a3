"""`python -m sto_metrics`: every subcommand has a handler that imports."""

from __future__ import annotations

import importlib

from sto_metrics import cli


def test_every_subcommand_has_a_callable_handler():
    subcommands = next(action for action in cli.build_parser()._actions if action.dest == "command").choices
    assert set(subcommands) == set(cli.HANDLERS)
    for command, target in cli.HANDLERS.items():
        module_name, function_name = target.split(":")
        assert callable(getattr(importlib.import_module(module_name), function_name)), command


def test_load_and_demo_are_handled_in_the_cli_package():
    assert cli.HANDLERS["load"].startswith("sto_metrics.cli.") and cli.HANDLERS["demo"].startswith("sto_metrics.cli.")
