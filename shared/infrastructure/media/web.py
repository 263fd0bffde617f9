"""Media on every app: `GET /media/<name>`, the upload helper, the template filter.

Every app serves the same storage at the same path, so the relative URLs
that are stored (`/media/<name>`) work on whichever app renders them: a
product card in the market, the same card in a fragment on the blog, a
cart line. One serving app would need absolute URLs in the database and a
cross-origin hop for every image; the files are small and immutable, so
serving them from each app costs nothing but the shared volume.
"""

from __future__ import annotations

from quart import Blueprint, Quart, Response, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge

from shared.contracts.media import MediaRejected, MediaTooLarge, StoredImage, content_type_of
from shared.infrastructure.config import MediaSettings
from shared.infrastructure.media.images import store_image
from shared.infrastructure.media.storage import MediaStorage

# A name is a content address: what it names never changes.
IMMUTABLE = "public, max-age=31536000, immutable"

bp = Blueprint("media", __name__)


def media_storage(app: Quart) -> MediaStorage:
    """The app's storage: the platform's (`bootstrap()` makes one per process)."""
    from shared.infrastructure.runtime import runtime

    return runtime(app).media


@bp.get("/media/<name>")
async def get_media(name: str) -> Response:
    """A stored image variant, cacheable for a year; 404 for any other name."""
    content_type = content_type_of(name)
    if content_type is None:
        raise NotFound()
    etag = f'"{name}"'
    if request.if_none_match.contains(name):
        return _with_headers(Response(b"", status=304), etag)
    data = await media_storage(current_app).read(name)
    if data is None:
        raise NotFound()
    return _with_headers(Response(data, content_type=content_type), etag)


def _with_headers(response: Response, etag: str) -> Response:
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["ETag"] = etag
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def receive_image(
    files: MultiDict, field: str, storage: MediaStorage, limits: MediaSettings
) -> StoredImage:
    """Store the image uploaded in the multipart `field` (a route passes
    `await request.files`).

    Raises 400 when the field is missing or empty or is not an image we
    accept, 413 when it is over a limit; each says which, for the member.
    """
    upload = files.get(field)
    if upload is None or not upload.filename:
        raise BadRequest(description="Choose an image to upload.")
    # One byte over the cap is enough to know it is too large.
    data = upload.read(limits.max_upload_bytes + 1)
    if not data:
        raise BadRequest(description="The uploaded file is empty.")
    try:
        return await store_image(storage, data, limits)
    except MediaTooLarge as exc:
        raise RequestEntityTooLarge(description=exc.message) from None
    except MediaRejected as exc:
        raise BadRequest(description=exc.message) from None


def install_media(app: Quart) -> None:
    """The /media route over the platform's storage, and the `stored_image` filter
    (a stored URL -> its StoredImage, None for any other URL)."""
    app.register_blueprint(bp)
    app.jinja_env.filters["stored_image"] = StoredImage.from_url
