"""``python -m tfhelm``: the same as the ``tfhelm`` command."""

import sys

from tfhelm.cli import main

sys.exit(main())
