"""``python -m cookiecharter`` runs the ``cookiecharter`` command."""

from cookiecharter.cli import main

if __name__ == "__main__":
    main(prog_name="cookiecharter")
