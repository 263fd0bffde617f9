"""The member's profile: display name, bio and avatar (stored through media storage).

Saving records MemberProfileChanged; the social domain sends the actor's Update."""

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from shared.contracts.errors import AccountError
from shared.contracts.profiles import MemberProfile
from shared.infrastructure.media import media_storage, receive_image
from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("profile", __name__, url_prefix="/profile")


@bp.get("/")
@login_required
async def get_profile() -> str:
    member = current_viewer()
    assert member is not None
    profile = await services.identity.get_profile(request_session(current_app), member.id)
    if profile is None:
        abort(404, description="There is no such member.")
    return await render_template(
        "account/profile/edit.html", profile=profile, saved=request.args.get("saved") == "1"
    )


@bp.post("/")
@login_required
async def post_profile() -> Response:
    """Save the profile; a new avatar only when a file was chosen (400 if not an image)."""
    member = current_viewer()
    assert member is not None
    form, files = await request.form, await request.files
    avatar_url = None
    upload = files.get("avatar")
    if upload is not None and upload.filename:
        settings = runtime(current_app).settings
        avatar_url = (
            await receive_image(files, "avatar", media_storage(current_app), settings.media)
        ).src
    profile = MemberProfile(form.get("display_name", ""), form.get("bio", ""), avatar_url)
    try:
        async with unit_of_work(current_app) as uow:
            await services.identity.update_profile(uow.session, member.id, profile)
    except AccountError as exc:
        abort(400, description=exc.message)
    return redirect("/profile/?saved=1", 303)
