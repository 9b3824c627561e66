"""`python -m actions.service.seed` (the documented command): runs actions/service/core/seed.py."""
from __future__ import annotations

from actions.service.core.seed import main

if __name__ == "__main__":
    main()
