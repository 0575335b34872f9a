"""``manage.py i18n extract|update|check``: the gettext catalogues of core, the panel and every plugin."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click
from babel.messages.pofile import write_po

from core import i18n
from core import i18n_catalogues as tools

PATH_OPTION = click.option("--path", "paths", multiple=True, type=click.Path(exists=True, file_okay=False),
                           help="Also a third-party plugin's package directory (its locale/ is beside its code).")


@click.group("i18n")
def i18n_group() -> None:
    """Translations: extract messages, update the .po catalogues, check that every message is translated."""


@i18n_group.command()
@PATH_OPTION
@click.option("--output", "-o", type=click.Path(file_okay=False), default="var/i18n", show_default=True,
              help="Directory for one <package>.pot per package.")
def extract(paths: tuple[str, ...], output: str) -> None:
    """Write each package's messages as a .pot template (for translators' tools); the code is not changed."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    for package in tools.packages(Path(p) for p in paths):
        found = tools.extract(package)
        buffer = io.BytesIO()
        write_po(buffer, found.catalog, width=120, sort_output=True)
        (out / f"{package.name}.pot").write_bytes(buffer.getvalue())
        click.echo(f"{package.name}: {len(found.catalog)} message(s) -> {out / (package.name + '.pot')}")
        for problem in found.problems:
            click.secho(f"  {problem}", fg="yellow")


@i18n_group.command()
@PATH_OPTION
@click.option("--language", "-l", "languages", multiple=True, help="Only these languages (default: all but English).")
def update(paths: tuple[str, ...], languages: tuple[str, ...]) -> None:
    """Add new messages to every package's locale/<lang>/LC_MESSAGES/messages.po (then translate the empty ones)."""
    for language in languages or tools.TARGET_LANGUAGES:
        shared = tools.read(tools.packages()[0].po(language), language)
        for package in tools.packages(Path(p) for p in paths):
            total, untranslated = tools.update(package, language, shared)
            if total:
                click.echo(f"{package.name} [{language}]: {total} message(s), {untranslated} to translate "
                           f"({package.po(language)})")
            if package.name == "core":
                shared = tools.read(package.po(language), language)


@i18n_group.command()
@PATH_OPTION
@click.option("--language", "-l", "languages", multiple=True, help="Only these languages (default: all but English).")
def check(paths: tuple[str, ...], languages: tuple[str, ...]) -> None:
    """List every message without a translation (and f-strings given to errors); exit 1 when there is any."""
    problems: list[str] = []
    for language in languages or tools.TARGET_LANGUAGES:
        core_po = tools.read(tools.packages()[0].po(language), language)
        for package in tools.packages(Path(p) for p in paths):
            problems += tools.missing(package, language, core_po)
    for line in problems:
        click.echo(line)
    done = ", ".join(languages or tools.TARGET_LANGUAGES)
    click.echo(f"{len(problems)} problem(s)" if problems else
               f"every message is translated ({done}; source language {i18n.DEFAULT})")
    sys.exit(1 if problems else 0)
