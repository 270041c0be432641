"""``python -m matcher``: the same command line as the ``matcher`` console script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
