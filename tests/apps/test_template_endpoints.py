"""Every endpoint a template asks about with `has_endpoint(...)` exists in some app: a
misspelt name (`auth.login` for `auth.get_login`) silently hides what it guards."""

from __future__ import annotations

import re

from shared.infrastructure.config import APP_NAMES
from tests.conftest import AppFactory

ASKED_RE = re.compile(r"has_endpoint\(\s*['\"]([\w.]+)['\"]\s*\)")


async def test_every_endpoint_a_template_asks_about_exists(make_app: AppFactory) -> None:
    asked: dict[str, str] = {}
    endpoints: set[str] = set()
    for name in APP_NAMES:
        app = await make_app(name)
        endpoints |= set(app.view_functions)
        env = app.jinja_env
        assert env.loader is not None
        for template in env.list_templates():
            source, _filename, _uptodate = env.loader.get_source(env, template)
            asked.update({endpoint: template for endpoint in ASKED_RE.findall(source)})
    assert "auth.get_login" in asked
    assert {endpoint: where for endpoint, where in asked.items() if endpoint not in endpoints} == {}
