"""`python -m console` is `hitl`, for machines where pip's script folder is not on PATH."""

import sys

from console.cli import main

sys.exit(main())
