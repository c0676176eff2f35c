"""``python -m fastgmm``: the ``fastgmm`` command."""

import sys

from .cli import main

sys.exit(main())
