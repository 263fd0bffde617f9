import sys

from shared.infrastructure.jobs.signals import catch_early_stop

catch_early_stop()  # first: the imports below take seconds on a busy host

from shared.infrastructure.jobs.cli import main  # noqa: E402

sys.exit(main())
