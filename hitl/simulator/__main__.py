"""`python -m hitl.simulator`: the same as `hitl simulate`."""

import sys

from hitl.simulator.report import main

if __name__ == "__main__":
    sys.exit(main())
