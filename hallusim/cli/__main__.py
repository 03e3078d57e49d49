"""``python -m hallusim.cli``: the ``hallusim`` command."""

import sys

from hallusim.cli import main

sys.exit(main())
