"""``qa redact``: redact a line of text, or measure the finders on a labelled set."""

from __future__ import annotations

import sys

import click

from qa.redact.apply_text import redact_text
from qa.redact.evaluation import evaluate, format_table, load_cases


@click.command("redact")
@click.option("--eval", "eval_path", metavar="JSONL", type=click.Path(exists=True, dir_okay=False),
              help="labelled set to measure on: prints precision and recall per type")
@click.argument("text", nargs=-1)
def command(eval_path: str | None, text: tuple[str, ...]) -> None:
    """Replace card, bank, id and phone numbers, e-mail and street addresses in TEXT (or
    standard input) by typed tags; the counts per type go to standard error."""
    if eval_path:
        click.echo(format_table(evaluate(load_cases(eval_path))))
        return
    line = " ".join(text) if text else sys.stdin.read()
    redacted, counts = redact_text(line)
    click.echo(redacted)
    if counts:
        click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())), err=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m qa.redact`` and the tests: the ``qa redact`` command, returning its exit code."""
    try:
        command.main(args=argv, prog_name="qa redact", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0
