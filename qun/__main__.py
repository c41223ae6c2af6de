"""`python -m qun` runs the `qun` command."""

import sys

from qun.flows.cli import main

sys.exit(main())
