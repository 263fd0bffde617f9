"""The first page after start-up: templates are compiled before the app serves, so the
first page (and the fragments it renders in-process) does not pay for compiling them."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from shared.infrastructure.config import APP_NAMES
from tests.conftest import AppFactory


def _compiled(env: Environment) -> set[str]:
    """The templates in Jinja's cache of compiled ones (keyed by loader and name)."""
    assert env.cache is not None
    return {name for _loader, name in env.cache}


@pytest.mark.parametrize("name", APP_NAMES)
async def test_every_template_is_compiled_before_the_first_request(
    make_app: AppFactory, name: str
) -> None:
    app = await make_app(name)
    every = set(app.jinja_env.list_templates())
    assert {"base.html", "partials/header.html"} <= every
    assert every - _compiled(app.jinja_env) == set()
