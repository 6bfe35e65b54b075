"""Every command explains itself with examples that work, and no command shows a user a
traceback unless asked (--debug)."""

from __future__ import annotations

import shlex

import pytest

from model_jobs import cli


def _commands() -> dict:
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]  # argparse keeps subparsers here
    return commands.choices


def test_every_command_has_examples_in_its_help():
    commands = _commands()
    assert set(commands) == set(cli.EXAMPLES)
    for name, sub in commands.items():
        text = sub.format_help()
        assert "examples:\n" in text, name
        assert all(f"  {line}" in text for line in cli.EXAMPLES[name]), name


@pytest.mark.parametrize("line", [line for lines in cli.EXAMPLES.values() for line in lines])
def test_each_example_parses_as_its_command(line):
    program, *argv = shlex.split(line)
    assert program == "model-jobs"
    args = cli.build_parser().parse_args(argv)
    assert args.command == argv[0] and callable(args.func)


def test_an_unexpected_error_is_one_line_without_a_traceback(monkeypatch, capsys):
    def broken(_args):
        raise OSError("[Errno 28] No space left on device\nmore detail nobody needs")

    monkeypatch.setattr(cli, "cmd_validate", broken)
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "model-jobs validate: OSError: [Errno 28] No space left on device"
    assert "--debug" in err and "Traceback" not in err and "more detail" not in err

    with pytest.raises(OSError, match="No space left"):
        cli.main(["--debug", "validate"])


def test_ctrl_c_ends_quietly_with_the_usual_code(monkeypatch, capsys):
    def interrupted(_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_validate", interrupted)
    assert cli.main(["validate"]) == 130
    assert capsys.readouterr().err == ""
