"""``python -m playground`` runs the ``layerlab`` command line."""
import sys

from playground.cli import main

if __name__ == "__main__":
    sys.exit(main())
