import sys

from shared.infrastructure.oidc.cli import main

sys.exit(main())
