"""`python -m sto_metrics`: the scriptable face of the engine (docs/command-line.md)."""

from __future__ import annotations

import argparse
import importlib
import re
import sys

from sto_metrics import db
from sto_metrics.cli import flow_command, metric_commands
from sto_metrics.errors import EXIT_BAD_INPUT, EXIT_OTHER, UserError
from sto_metrics.metrics import registry

FORMATS = ["csv", "json", "table"]

# Each subcommand is handled by `function(args) -> exit code` in an engine module.
HANDLERS = {
    "demo": "sto_metrics.cli.demo:demo",
    "load": "sto_metrics.cli.load:load",
    "ambitions": "sto_metrics.cli.ambitions:run",
    "report": "sto_metrics.cli.report:run",
    "backup": "sto_metrics.cli.backup:run",
    "prepare": "sto_metrics.cli.prepare:run",
    "compare": "sto_metrics.cli.compare:run",
    "duo-download": "sto_metrics.national.download:run",
    **{family: "sto_metrics.cli.metric_commands:run" for family in registry.families()},  # one per figure family
    "cohort-flow": "sto_metrics.cli.flow_command:run",  # the Sankey: nodes and links, not a table per scope
}


class DutchHelpFormatter(argparse.HelpFormatter):
    """argparse's help with a Dutch usage line."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, "gebruik: " if prefix is None else prefix)


# argparse's own English messages (Python 3.11-3.13) and their Dutch: each template matches a whole message, after an
# optional "argument X: " (the option it is about), so that a value the user typed is never translated.
_DUTCH_ERRORS = (
    (r"the following arguments are required: (.*)", r"deze opties zijn verplicht: \1"),
    (r"invalid choice: (.*) \(choose from (.*)\)", r"ongeldige keuze: \1 (kies uit \2)"),
    (r"invalid (?:int|float) value: (.*)", r"geen getal: \1"),
    (r"invalid \w+ value: (.*)", r"ongeldige waarde: \1"),
    (r"ambiguous option: (\S+) could match (.*)", r"onduidelijke optie: \1 kan staan voor \2"),
    (r"ignored explicit argument (.*)", r"neemt geen waarde (gegeven: \1)"),
    (r"unrecognized arguments: (.*)", r"onbekende opties: \1"),
    (r"expected one argument", "verwacht een waarde"),
    (r"expected at least one argument", "verwacht ten minste één waarde"),
    (r"expected (\d+) arguments?", r"verwacht \1 waarde(n)"),
    (r"not allowed with argument (.*)", r"niet toegestaan samen met optie \1"),
)


def dutch_usage_error(message: str) -> str:
    """argparse's usage error in Dutch (an unknown message as it is)."""
    prefix = ""
    about = re.fullmatch(r"argument (\S+): (.*)", message, flags=re.DOTALL)
    if about:
        prefix, message = f"optie {about.group(1)}: ", about.group(2)
    for english, dutch in _DUTCH_ERRORS:
        if re.fullmatch(english, message, flags=re.DOTALL):
            return prefix + re.sub(english, dutch, message, count=1, flags=re.DOTALL)
    return prefix + message


class DutchArgumentParser(argparse.ArgumentParser):
    """argparse in Dutch: usage errors (exit status 2), the usage line, its group titles and -h."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DutchHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "argumenten"
        self._optionals.title = "opties"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="toon deze hulp en stop")

    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        print(f"Fout: {dutch_usage_error(message)}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = DutchArgumentParser(prog="python -m sto_metrics", description="Sterk Techniekonderwijs: instroom en doorstroom techniek per school en cohort.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=DutchArgumentParser, metavar="OPDRACHT")

    demo = commands.add_parser("demo", help="schrijf een synthetische demoregio")
    demo.add_argument("--out", required=True, help="map om de exportbestanden in te schrijven")
    demo.add_argument("--seed", type=int, default=2026, help="startwaarde van de toevalsgenerator (standaard 2026)")
    demo.add_argument("--scale", choices=["regio", "landelijk"], default="regio", help="regio (standaard) of landelijk (voor benchmarks)")

    load = commands.add_parser("load", help="laad exportbestanden in de database")
    load.add_argument("paths", nargs="+", metavar="PAD", help="bestanden of mappen (recursief)")
    load.add_argument("--db", required=True, help="het DuckDB-bestand (wordt aangemaakt als het nog niet bestaat)")
    load.add_argument("--kind", choices=["vo", "mbo", "ho"], help="soort bestand, als die niet uit de kolommen blijkt")
    load.add_argument("--replace", action="store_true", help="vervang eerdere ladingen van dezelfde school en hetzelfde schooljaar")
    load.add_argument("--schooljaar", metavar="JJJJ-JJJJ", help="schooljaar van een DUO-bestand waarvan de naam het niet zegt (bijvoorbeeld 2024-2025)")

    for family in registry.families():  # one command per figure family; its options come from the declarations
        metric_commands.add_options(commands.add_parser(family, help=registry.FAMILY_HELP_NL[family]), family, FORMATS)

    flow_command.add_options(commands.add_parser("cohort-flow", help=flow_command.HELP_NL), FORMATS)

    compare_command = commands.add_parser("compare", help="regio tegenover landelijk, provincie en landsdeel (DUO)")
    importlib.import_module("sto_metrics.cli.compare").add_options(compare_command, FORMATS)

    duo_download = commands.add_parser("duo-download", help="haal de openbare DUO-bestanden op (internet nodig)")
    duo_download.add_argument("--out", required=True, help="map om de bestanden in te schrijven")
    duo_download.add_argument("--year", type=int, help="peiljaar van de bestanden (standaard vorig jaar)")

    ambitions = commands.add_parser("ambitions", help="ambities tegenover gerealiseerde cijfers")
    ambitions.add_argument("--db", required=True, help="het DuckDB-bestand")
    ambitions.add_argument("--targets", help="ambitiebestand (standaard data/ambities.csv)")
    ambitions.add_argument("--format", choices=FORMATS, default="csv", help="uitvoerformaat (standaard csv)")

    report = commands.add_parser("report", help="subsidiepakket als .xlsx, .html of .docx")
    report.add_argument("--db", required=True, help="het DuckDB-bestand")
    report.add_argument("--out", required=True, help="uitvoerbestand: .xlsx, .html of .docx")
    report.add_argument("--school", help="alleen deze school (vestigingscode, bijvoorbeeld 12AB00)")

    backup = commands.add_parser("backup", help="reservekopie van de database (ook terwijl het dashboard draait)")
    backup.add_argument("--db", required=True, help="het DuckDB-bestand")
    backup.add_argument("--out", required=True, help="het bestand voor de kopie")

    prepare = commands.add_parser("prepare", help="bereken alle beschermde tabellen vooraf (snelle eerste bezoeken)")
    prepare.add_argument("--db", required=True, help="het DuckDB-bestand")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    db.keep_files_private()
    module_name, function_name = HANDLERS[args.command].split(":")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        return int(handler(args) or 0)
    except UserError as error:
        print(f"Fout: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("Afgebroken.", file=sys.stderr)
        return EXIT_OTHER
    except Exception as error:  # never a bare traceback in front of a user
        print(f"Fout: er ging iets onverwachts mis ({type(error).__name__}). Meld dit bij de beheerder; er is niets gewijzigd.", file=sys.stderr)
        return EXIT_OTHER
