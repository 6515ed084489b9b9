#!/usr/bin/env python3
"""Write the panel's gettext catalogs, web/translations/{vi,en}/LC_MESSAGES/messages.po, from the texts in
web/i18n.py and web/texts_*.py (the .mo files are compiled by the app when it starts).

Usage: .venv/bin/python scripts/translations.py            write the .po files
       .venv/bin/python scripts/translations.py --check    exit 1 when they differ from the texts (a test runs this)
       .venv/bin/python scripts/translations.py --compile  also compile the .mo files now
"""

from __future__ import annotations

import sys

from web.catalogs import compile_catalogs, po_path, po_text
from web.i18n import LANGUAGES


def main(argv: list[str]) -> int:
    stale = []
    for language in LANGUAGES:
        path, text = po_path(language), po_text(language)
        if path.exists() and path.read_bytes() == text:
            continue
        stale.append(str(path))
        if "--check" not in argv:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
    if "--check" in argv:
        if stale:
            print("out of date (run scripts/translations.py): " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    for path in stale:
        print(f"wrote {path}")
    if "--compile" in argv:
        print(f"compiled into {compile_catalogs()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
