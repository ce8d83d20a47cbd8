"""Bring the French catalogue up to date with the texts marked in the code, templates and pages.

    .venv/bin/python scripts/update_catalogue.py

New texts get an empty translation in ``hub/i18n/locale/fr/LC_MESSAGES/messages.po``; fill
them in, then run the tests (``tests/hub/i18n``), which fail on any text left untranslated.
"""

from hub.i18n.extract import updated, write

if __name__ == "__main__":
    catalogue = updated("fr")
    path = write(catalogue, "fr")
    missing = [m.id for m in catalogue if m.id and (not m.string or not all(m.string))]
    print(f"{path}: {len(catalogue)} texts, {len(missing)} to translate")
    for text in missing:
        print("  ", text)
