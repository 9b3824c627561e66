"""`python -m actions.service.scheduler` (the documented command): runs actions/service/reminders/scheduler.py."""
from __future__ import annotations

import sys

from actions.service.reminders.scheduler import main

if __name__ == "__main__":
    sys.exit(main())
