"""``python -m crm_desk``: the same as the ``crm-desk`` command."""

import sys

from crm_desk.cli import main

sys.exit(main())
