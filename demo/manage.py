#!/usr/bin/env python3
"""Django's command-line utility for the demo portal."""

import os
import sys
from pathlib import Path


def main() -> None:
    # The demo runs from a checkout: make `portal` importable whatever the working directory.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
