"""The interfaces on top of the simulator: the ``cgx`` command line (``cgx.cli``)."""
