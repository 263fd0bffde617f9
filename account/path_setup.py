"""Make `account` runnable from its own folder (`hypercorn "app:create_app()"` in account/).

Puts the repository root (for `shared` and absolute `account.` imports) and this
app's folder on sys.path. Imported by app.py only when it is loaded as a
top-level module; from the repo root (`hypercorn "account.app:create_app()"`) nothing is
needed.
"""

import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
REPO_ROOT = APP_DIR.parent

for path in (str(REPO_ROOT), str(APP_DIR)):
    if path not in sys.path:
        sys.path.insert(0, path)
