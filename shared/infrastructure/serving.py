"""How Hypercorn serves every app: `hypercorn --config file:shared/infrastructure/serving.py`
(from the repository root, where every launcher runs it).

Every entry point (the containers, `make dev`, the live tests) loads this, so
the access log has one format: the method and the path, never the query
string (OAuth codes, `state`, `id_token_hint`, mailed tokens travel there)
nor the Referer (which carries the previous page's query string).
"""

accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s HTTP/%(H)s" %(s)s %(b)s %(L)ss'

# What a launcher passes Hypercorn to load this module (Hypercorn ignores it).
HYPERCORN_ARGS = ("--config", "file:shared/infrastructure/serving.py")
