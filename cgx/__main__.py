"""``python -m cgx``: the ``cgx`` command line."""

import sys

from cgx.cli import main

sys.exit(main())
