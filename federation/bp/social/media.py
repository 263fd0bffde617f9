"""Images attached to a status: stored through media storage, at most four."""

from __future__ import annotations

from quart import current_app
from werkzeug.datastructures import FileStorage

from shared.contracts.media import MediaRejected, MediaTooLarge, content_type_of
from shared.contracts.social import MAX_MEDIA, MediaAttachment, SocialError
from shared.infrastructure.media import media_storage, store_image
from shared.infrastructure.runtime import runtime


def allow_uploads() -> None:
    """Room for four images in this request's body (the app's cap fits a form, no more)."""
    from quart import request

    limits = runtime(current_app).settings.media
    request.max_content_length = MAX_MEDIA * limits.max_upload_bytes + 64 * 1024


async def store_attachment(upload: FileStorage, alt: str) -> MediaAttachment:
    """The stored image of one upload (EXIF stripped, resized, content-addressed);
    SocialError naming what is wrong with it."""
    limits = runtime(current_app).settings.media
    data = upload.read(limits.max_upload_bytes + 1)
    if not data:
        raise SocialError("Validation failed: an attached file is empty")
    try:
        stored = await store_image(media_storage(current_app), data, limits)
    except MediaTooLarge as exc:
        raise SocialError(exc.message, 413) from None
    except MediaRejected as exc:
        raise SocialError(f"Validation failed: {exc.message}") from None
    return MediaAttachment(
        url=stored.src,
        alt=alt.strip()[:1500],
        media_type=content_type_of(stored.src.rsplit("/", 1)[-1]) or "image/jpeg",
        width=stored.width,
        height=stored.height,
    )


async def store_attachments(
    uploads: list[FileStorage], alts: list[str]
) -> tuple[MediaAttachment, ...]:
    chosen = [u for u in uploads if u and u.filename]
    if len(chosen) > MAX_MEDIA:
        raise SocialError(f"Validation failed: Attach at most {MAX_MEDIA} images")
    stored = []
    for place, upload in enumerate(chosen):
        stored.append(await store_attachment(upload, alts[place] if place < len(alts) else ""))
    return tuple(stored)
