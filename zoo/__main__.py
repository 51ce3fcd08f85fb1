"""``python -m zoo ...`` (and ``torchrun -m zoo train ...``) run the command line."""

import sys

from zoo.cli import main

if __name__ == "__main__":
    sys.exit(main())
