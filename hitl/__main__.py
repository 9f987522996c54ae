"""`python -m hitl` is `hitl`, for machines where pip's script folder is not on PATH."""

import sys

from hitl.cli import main

if __name__ == "__main__":  # not when a worker process imports it
    sys.exit(main())
