import sys

from shared.infrastructure.jobs.cli import main

sys.exit(main())
