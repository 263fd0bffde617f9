"""Fragments: one site made of six apps, composed on the server from cached HTML.

An app serves pieces of its UI at `GET /internal/fragments/<type>` (the
types are in `shared.contracts.widgets`). `fetch_fragments()` gets the
pieces a page needs:

1. one Redis MGET reads every fresh copy and every scope generation at once;
2. what is missing or stale is fetched from the owning apps' internal URLs
   concurrently, each fetch bounded by `fragments.timeout`, the whole page by
   `fragments.page_budget`; concurrent pages wanting the same key share one
   fetch (single flight), and a fetch that outlives the page still fills the
   cache for the next one;
3. a fragment whose provider is slow, failing or down is replaced by its last
   good copy (kept `keep_stale` seconds for exactly this) or by an empty
   placeholder, and the reason is logged. The page always renders; when
   Redis is down the fragments are fetched without it, and each process
   reuses what it fetched in the last `outage_copy_seconds` (an outage must
   not turn every page into four, the header's fragments fetched over HTTP).

Pages use it through `page_fragments()` (a route that wants more than the
shell) and the `fragments` template global (`fragments.get('nav')`), which
fetches the whole page's set in one batch on first use.

An app's own fragments (blog's nav on a blog page) go through the same cache,
but a miss is rendered in-process, by calling the app's ASGI interface
directly, instead of over HTTP to itself: it costs no socket, and it cannot
miss because the app is still busy starting. Every template is compiled
before the app serves, so the first page renders its fragments in time.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import httpx
from markupsafe import Markup
from quart import Quart, current_app, g, has_request_context, request

from shared.contracts.widgets import (
    ANON_CART_COOKIE,
    ANONYMOUS,
    SHELL_FRAGMENTS,
    FragmentRequest,
    FragmentViewer,
    viewer_scope,
)
from shared.infrastructure.config import FragmentSettings, Settings
from shared.infrastructure.fragment_cache import FragmentCache, FragmentKey, Lookup
from shared.infrastructure.internal import (
    INTERNAL_PREFIX,
    InternalAuth,
    install_internal_guard,
)
from shared.infrastructure.runtime import runtime
from shared.infrastructure.security import request_id_var
from shared.infrastructure.viewer import current_viewer

log = logging.getLogger(__name__)

EXTENSION_KEY = "rose_ash.fragments"
MAX_FRAGMENT_BYTES = 256 * 1024
WARN_EVERY = 5.0  # seconds between two warnings about the same fragment
_CART_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PLACEHOLDER = Markup("")
# The origin of in-process requests (never resolved: the ASGI transport takes them).
IN_PROCESS_ORIGIN = "http://in-process.invalid"
# An app's own fragment is bounded by this, not by the provider timeout: under load the
# process rendering it is the one that is busy, and cutting the render off at half a
# second meant it never reached the cache, so once its copy expired every page of the
# app waited out its budget (the member's cart fell from 137 to 16 req/s). The page
# itself still stops waiting at its budget; the render finishes and is cached.
OWN_RENDER_TIMEOUT = 30.0
# The fragments a process keeps for a Redis outage: a member's header is three, so this
# covers a few hundred members active within `outage_copy_seconds`, in a few MB.
OUTAGE_COPIES = 1024


class ProviderError(Exception):
    """The provider answered, but not with a fragment."""


class ProviderCoolingDown(Exception):
    """The provider failed a moment ago; it is not asked again until its cooldown ends."""


@dataclass(frozen=True, slots=True)
class FragmentSet:
    """A page's fragments by name; the placeholder ("") for any that is not available."""

    html: Mapping[str, Markup]

    def get(self, name: str) -> Markup:
        return self.html.get(name, PLACEHOLDER)


@dataclass
class FragmentClient:
    """What one app process uses to fetch fragments: HTTP pool, cache, settings, state."""

    settings: FragmentSettings
    internal_urls: Mapping[str, str]
    auth: InternalAuth
    cache: FragmentCache
    http: httpx.AsyncClient
    # This app's name and a client calling it in-process (ASGI), for its own fragments.
    own_name: str | None = None
    own_http: httpx.AsyncClient | None = None
    _inflight: dict[str, asyncio.Task[str]] = field(default_factory=dict)
    _cooling_until: dict[str, float] = field(default_factory=dict)
    _warned_at: dict[str, float] = field(default_factory=dict)
    # Cache key -> (when fetched, html): what this process fetched during a Redis outage.
    _outage_copies: OrderedDict[str, tuple[float, str]] = field(default_factory=OrderedDict)

    def outage_copy(self, key: FragmentKey) -> str | None:
        """What this process fetched for `key` within `outage_copy_seconds`, if anything."""
        kept = self._outage_copies.get(key.entry)
        if kept is None or time.monotonic() - kept[0] >= self.settings.outage_copy_seconds:
            return None
        return kept[1]

    def _keep_for_outage(self, key: FragmentKey, html: str) -> None:
        # Only while the cache is down: with Redis up they would cost memory and a write
        # on every fetch, and never be served.
        if self.settings.outage_copy_seconds <= 0 or self.cache.available:
            return
        self._outage_copies[key.entry] = (time.monotonic(), html)
        self._outage_copies.move_to_end(key.entry)
        if len(self._outage_copies) > OUTAGE_COPIES:
            self._outage_copies.popitem(last=False)

    def fetch(
        self,
        request: FragmentRequest,
        key: FragmentKey,
        generation: bytes,
        viewer: FragmentViewer,
        request_id: str | None,
    ) -> asyncio.Task[str]:
        """The fetch of `key`: the one already in flight, or a new one (single flight)."""
        task = self._inflight.get(key.entry)
        if task is None:
            task = asyncio.ensure_future(
                self._fetch_and_store(request, key, generation, viewer, request_id)
            )
            self._inflight[key.entry] = task
            task.add_done_callback(lambda done: self._finished(key.entry, done))
        return task

    def _finished(self, entry: str, task: asyncio.Task[str]) -> None:
        if self._inflight.get(entry) is task:
            del self._inflight[entry]
        if not task.cancelled():
            task.exception()  # retrieved: a page that stopped waiting must not leave it unread

    async def _fetch_and_store(
        self,
        request: FragmentRequest,
        key: FragmentKey,
        generation: bytes,
        viewer: FragmentViewer,
        request_id: str | None,
    ) -> str:
        app = request.app
        in_process = app == self.own_name and self.own_http is not None
        if not in_process and time.monotonic() < self._cooling_until.get(app, 0.0):
            raise ProviderCoolingDown(f"{app} failed less than {self.settings.cooldown:g} s ago")
        headers = self.auth.headers(_viewer_for(request, viewer))
        if request_id:
            headers["X-Request-ID"] = request_id
        path = f"{INTERNAL_PREFIX}fragments/{request.type}"
        http = self.own_http if in_process and self.own_http is not None else self.http
        url = f"{IN_PROCESS_ORIGIN}{path}" if in_process else f"{self.internal_urls[app]}{path}"
        try:
            async with asyncio.timeout(OWN_RENDER_TIMEOUT if in_process else self.settings.timeout):
                response = await http.get(url, params=request.query, headers=headers)
        except (TimeoutError, httpx.TransportError):
            if not in_process:  # our own process is not "down": no cooldown for it
                self._cooling_until[app] = time.monotonic() + self.settings.cooldown
            raise
        if response.status_code != 200:
            raise ProviderError(f"{app} answered HTTP {response.status_code}")
        if len(response.content) > MAX_FRAGMENT_BYTES:
            raise ProviderError(f"{app} sent {len(response.content)} bytes, over the limit")
        html = response.text
        # A provider says no-store for an answer that is nobody's own (an
        # anonymous cart that does not exist): caching it per random cookie
        # would let anyone fill Redis.
        if "no-store" not in response.headers.get("Cache-Control", ""):
            self._keep_for_outage(key, html)
            await self.cache.store(key, html, generation)
        return html

    def fall_back(self, request: FragmentRequest, lookup: Lookup, reason: str) -> Markup:
        """The last good copy, or the placeholder; says so in the log (at most every few s)."""
        copy = lookup.copy
        if copy is not None:
            served = f"serving the last good copy ({copy.age(time.time()):.0f} s old)"
        else:
            served = "serving an empty placeholder"
        now = time.monotonic()
        if now - self._warned_at.get(request.name, -WARN_EVERY) >= WARN_EVERY:
            self._warned_at[request.name] = now
            log.warning("fragment %s/%s: %s; %s", request.app, request.type, reason, served)
        return Markup(copy.html) if copy is not None else PLACEHOLDER

    async def aclose(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.http.aclose()
        if self.own_http is not None:
            await self.own_http.aclose()


def _viewer_for(request: FragmentRequest, viewer: FragmentViewer) -> FragmentViewer | None:
    """Only what the fragment depends on leaves the app: no cart token for the user menu."""
    depends_on = request.spec.depends_on
    if depends_on == "nothing":
        return None
    if depends_on == "member":
        return FragmentViewer(user_id=viewer.user_id)
    return viewer


def _reason(
    task: asyncio.Task[str], done: set[asyncio.Task[str]], settings: FragmentSettings
) -> str:
    if task not in done:
        return f"no answer within the page budget ({settings.page_budget:g} s)"
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    if isinstance(exc, TimeoutError):
        return f"timed out after {settings.timeout:g} s"
    if isinstance(exc, httpx.TransportError):
        return f"unreachable ({type(exc).__name__})"
    return str(exc) or type(exc).__name__


async def fetch_fragments(
    client: FragmentClient,
    requests: Iterable[FragmentRequest],
    viewer: FragmentViewer,
    *,
    request_id: str | None = None,
) -> FragmentSet:
    """Fetch several fragments at once, from the cache or their apps, within the page budget.

    Never raises for a provider or Redis problem: a fragment that cannot be
    had is its last good copy or the placeholder.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + client.settings.page_budget
    wanted = list(dict.fromkeys(requests))
    keys = {req: FragmentKey.of(req, viewer_scope(req.spec.depends_on, viewer)) for req in wanted}
    lookups = await client.cache.read(list(dict.fromkeys(keys.values())))
    cache_down = not client.cache.available
    now = time.time()
    html: dict[str, Markup] = {}
    pending: dict[FragmentRequest, asyncio.Task[str]] = {}
    for req in wanted:
        lookup = lookups[keys[req]]
        fresh = lookup.fresh(client.settings.ttl_of(req.type), now)
        kept = client.outage_copy(keys[req]) if fresh is None and cache_down else None
        if fresh is not None:
            html[req.name] = Markup(fresh.html)
        elif kept is not None:
            html[req.name] = Markup(kept)
        else:
            pending[req] = client.fetch(req, keys[req], lookup.generation, viewer, request_id)
    if pending:
        # asyncio.wait never cancels: a fetch still running at the deadline goes on to
        # fill the cache (and other pages waiting for the same key still get it).
        done, _ = await asyncio.wait(pending.values(), timeout=max(0.0, deadline - loop.time()))
        for req, task in pending.items():
            if task in done and not task.cancelled() and task.exception() is None:
                html[req.name] = Markup(task.result())
            else:
                reason = _reason(task, done, client.settings)
                html[req.name] = client.fall_back(req, lookups[keys[req]], reason)
    return FragmentSet(html)


class PageFragments:
    """The fragments of the page being rendered: the shell plus what the route asked for.

    They are fetched in one batch, started by the route (`page_fragments(...)`,
    so the fetch overlaps the route's own queries) or by the template's first
    `fragments.get(...)`.
    """

    def __init__(
        self,
        client: FragmentClient | None,
        viewer: FragmentViewer,
        request_id: str | None,
        wanted: Iterable[FragmentRequest],
    ) -> None:
        self._client = client
        self._viewer = viewer
        self._request_id = request_id
        self._wanted: list[FragmentRequest] = list(wanted)
        self._batches: list[asyncio.Task[FragmentSet]] = []
        self._started = 0  # how many of `_wanted` a batch has been started for

    def want(self, *requests: FragmentRequest) -> None:
        self._wanted.extend(req for req in requests if req not in self._wanted)

    def start(self) -> None:
        """Start fetching what is wanted and not yet on its way."""
        batch = self._wanted[self._started :]
        if batch and self._client is not None:
            self._batches.append(
                asyncio.ensure_future(
                    fetch_fragments(self._client, batch, self._viewer, request_id=self._request_id)
                )
            )
        self._started = len(self._wanted)

    async def get(self, name: str) -> Markup:
        """The fragment called `name` (its type, unless the request named it), or ""."""
        self.start()
        for batch in await asyncio.gather(*self._batches):
            if name in batch.html:
                return batch.get(name)
        return PLACEHOLDER


def fragment_client(app: Quart) -> FragmentClient:
    client: FragmentClient | None = app.extensions.get(EXTENSION_KEY)
    if client is None:
        raise RuntimeError("fragments are not open: serve the app through its lifespan")
    return client


def fragment_cache(app: Quart) -> FragmentCache:
    """The process's fragment cache (the platform's), what after-commit handlers invalidate."""
    return runtime(app).fragment_cache


def _composes(path: str) -> bool:
    return not path.startswith((INTERNAL_PREFIX, "/static/"))


def page_fragments(*extra: FragmentRequest) -> PageFragments:
    """This request's fragments (the shell, plus `extra`), their fetch started now."""
    fragments: PageFragments | None = g.get("page_fragments")
    if fragments is None:
        settings: Settings = runtime(current_app).settings
        enabled = settings.fragments.enabled and _composes(request.path)
        viewer = current_viewer()
        shell = [
            FragmentRequest.of("nav", current=runtime(current_app).name),
            *(FragmentRequest.of(name) for name in SHELL_FRAGMENTS if name != "nav"),
        ]
        # The cart token is the visitor's own cookie: anything but a token's shape is ignored.
        anon_cart = request.cookies.get(ANON_CART_COOKIE, "")
        fragments = PageFragments(
            current_app.extensions.get(EXTENSION_KEY) if enabled else None,
            FragmentViewer(
                user_id=viewer.id if viewer else None,
                anon_cart=anon_cart if _CART_TOKEN_RE.match(anon_cart) else None,
            ),
            request_id_var.get(),
            shell,
        )
        g.page_fragments = fragments
    fragments.want(*extra)
    if extra:
        fragments.start()
    return fragments


def compile_templates(app: Quart) -> int:
    """Compile every template the app can render, into Jinja's cache; how many.

    Compiling all of an app's templates takes a second or two of CPU: done
    before serving, it no longer lands on the first page (and on the first
    fragment requests, which would then outlast their timeout).
    """
    env = app.jinja_env
    names = [name for name in env.list_templates() if name.endswith((".html", ".txt", ".xml"))]
    for name in names:
        env.get_template(name)
    return len(names)


class IsolatedASGITransport(httpx.ASGITransport):
    """An app calling itself in-process, as if over HTTP: in a task of its own with an
    empty context. Quart reuses the current app context (and so `g` and the page's
    database session) for a request of the same app pushed in the same context, and
    the page is using that session while its fragments render."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        handle = super().handle_async_request(request)
        return await asyncio.create_task(handle, context=contextvars.Context())


def install_fragments(app: Quart, settings: Settings) -> None:
    """The internal endpoints' guard, the fragment client's lifespan, `fragments` in templates."""
    auth = InternalAuth.from_secret(settings.secret_key)
    install_internal_guard(app, auth)
    config = settings.fragments

    @app.before_serving
    async def open_fragments() -> None:
        compile_templates(app)
        app.extensions[EXTENSION_KEY] = FragmentClient(
            settings=config,
            internal_urls={name: urls.internal_url for name, urls in settings.apps.items()},
            auth=auth,
            cache=runtime(app).fragment_cache,  # the platform's one cache
            http=httpx.AsyncClient(
                timeout=httpx.Timeout(config.timeout),
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
                trust_env=False,  # internal URLs never go through an HTTP proxy
            ),
            own_name=runtime(app).name,
            own_http=httpx.AsyncClient(
                # Quart's __call__ is typed with its own ASGI scope types, httpx's with dicts.
                transport=IsolatedASGITransport(app=app),  # type: ignore[arg-type]
                timeout=httpx.Timeout(OWN_RENDER_TIMEOUT),
                trust_env=False,
            ),
        )

    @app.after_serving
    async def close_fragments() -> None:
        client = app.extensions.pop(EXTENSION_KEY, None)
        if client is not None:
            await client.aclose()

    @app.context_processor
    async def fragment_context() -> dict[str, object]:
        if not has_request_context():  # a template rendered for a mail or a worker
            return {"fragments": PageFragments(None, ANONYMOUS, None, ())}
        return {"fragments": page_fragments()}
