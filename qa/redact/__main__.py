"""``python -m qa.redact``: the same command as ``qa redact``."""

import sys

from qa.redact.cli import main

sys.exit(main())
