"""`python -m sto_metrics report`: the grant-application pack as .xlsx, .html or .docx."""

from __future__ import annotations

import argparse
from pathlib import Path

from sto_metrics import access
from sto_metrics.errors import UserError
from sto_metrics.report import pack


def run(args: argparse.Namespace) -> int:
    """`report --db FILE --out FILE.xlsx|FILE.html|FILE.docx [--school ID]`: writes the file, prints where."""
    out = Path(args.out)
    report_format = out.suffix.lower().lstrip(".")
    if report_format not in pack.FORMATS:
        raise UserError(f"{args.out}: onbekende extensie; kies een bestandsnaam op .xlsx, .html of .docx.")
    if not Path(args.db).is_file():
        raise UserError(f"{args.db}: de database bestaat niet. Laad eerst gegevens met 'python -m sto_metrics load'.")
    if not out.parent.exists():
        raise UserError(f"{out.parent}: deze map bestaat niet.")
    if out.is_dir():
        raise UserError(f"{out}: dit is een map. Geef de naam van het rapportbestand op, bijvoorbeeld {out / ('rapport' + out.suffix)}. "
                        "Er is niets geschreven.")
    con = access.open_read_only(args.db)  # waits, with a notice, while a load writes
    try:
        data = pack.build_report(con, report_format, school_id=getattr(args, "school", None))
    finally:
        con.close()
    partial = out.with_name(out.name + ".deel")  # written aside, then moved: never a half-written pack
    try:
        partial.write_bytes(data)
        partial.replace(out)
    except PermissionError:
        partial.unlink(missing_ok=True)
        raise UserError(f"{out}: hier mag dit programma niet schrijven (geen schrijfrechten). Er is niets geschreven.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    print(f"Rapport geschreven: {out}")
    return 0
