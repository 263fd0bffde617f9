"""Staff roles (Ghost's): who may write, publish and edit what.

- contributor: writes drafts, edits their own drafts; never publishes.
- author: writes and publishes their own posts.
- editor: publishes and edits anyone's posts and pages.
- administrator: everything an editor does (an `is_admin` member is one anyway).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import PostForbidden, StaffError, StaffMember
from shared.contracts.dtos import UserRecord
from shared.models.blog import STAFF_ROLES, Author, BlogStaff, Post, PostStatus, StaffRole
from shared.models.identity import User


async def get_staff_member(session: AsyncSession, user: UserRecord | None) -> StaffMember | None:
    """The member's blog role, or None when they are not staff."""
    if user is None:
        return None
    role = await session.scalar(select(BlogStaff.role).where(BlogStaff.user_id == user.id))
    if user.is_admin:
        role = StaffRole.ADMINISTRATOR
    if role is None:
        return None
    return StaffMember(
        user_id=user.id, username=user.username, name=user.display_name or user.username, role=role
    )


async def set_staff_role(session: AsyncSession, user_id: int, role: str | None) -> None:
    """Give the member a role (None takes it away)."""
    if role is None:
        await session.execute(delete(BlogStaff).where(BlogStaff.user_id == user_id))
        return
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be one of {', '.join(STAFF_ROLES)}")
    statement = insert(BlogStaff).values(user_id=user_id, role=role)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[BlogStaff.user_id], set_={"role": role})
    )


def owns(staff: StaffMember, post: Post) -> bool:
    return post.created_by_id == staff.user_id or any(
        author.user_id == staff.user_id for author in post.authors
    )


def check_can_edit(staff: StaffMember, post: Post) -> None:
    """Editors edit anything; authors their own posts; contributors their own drafts."""
    if staff.edits_everyone:
        return
    if not owns(staff, post):
        raise PostForbidden("You can only edit your own posts.")
    if post.type != "post":
        raise PostForbidden("Only editors and administrators edit pages.")
    if staff.role == StaffRole.CONTRIBUTOR and post.status != PostStatus.DRAFT:
        raise PostForbidden("Contributors cannot edit a post once it is scheduled or published.")


def check_writable(post: Post) -> None:
    """Ghost owns an imported post: changed here, the next sync would undo it."""
    if post.ghost_id is not None and not post.ghost_detached:
        raise PostForbidden(
            "This post comes from Ghost: edit it in Ghost, or detach it to edit it here."
        )


def check_can_change(staff: StaffMember, post: Post) -> None:
    """Saving, restoring and deleting: `check_can_edit`, and not a post Ghost owns."""
    check_can_edit(staff, post)
    check_writable(post)


def check_can_publish(staff: StaffMember, post: Post) -> None:
    """Publishing, scheduling and unpublishing: authors their own posts, editors anyone's."""
    if not staff.can_publish:
        raise PostForbidden("Contributors write drafts; an editor publishes them.")
    check_can_change(staff, post)


def check_can_create(staff: StaffMember, type_: str) -> None:
    if type_ == "page" and not staff.edits_everyone:
        raise PostForbidden("Only editors and administrators write pages.")


async def author_for(session: AsyncSession, staff: StaffMember) -> Author:
    """The staff member's byline, made the first time they write."""
    author = await session.scalar(select(Author).where(Author.user_id == staff.user_id))
    if author is not None:
        return author
    username = staff.username
    slug, n = username.lower(), 1
    while await session.scalar(select(Author.id).where(Author.slug == slug)) is not None:
        n += 1
        slug = f"{username.lower()}-{n}"
    author = Author(slug=slug, name=staff.name, user_id=staff.user_id)
    session.add(author)
    await session.flush()
    return author


class SqlBlogStaff:
    async def list_staff(self, session: AsyncSession) -> list[StaffMember]:
        """Every member with a blog role (admins as administrators), by name."""
        rows = await session.execute(
            select(User, BlogStaff.role)
            .outerjoin(BlogStaff, BlogStaff.user_id == User.id)
            .where((BlogStaff.role.is_not(None)) | User.is_admin.is_(True))
            .order_by(User.display_name, User.id)
        )
        return [
            StaffMember(
                user_id=user.id,
                username=user.username,
                name=user.display_name or user.username,
                role=StaffRole.ADMINISTRATOR if user.is_admin else role,
            )
            for user, role in rows
        ]

    async def assign_staff_role(
        self, session: AsyncSession, username: str, role: str | None
    ) -> StaffMember:
        """Give the member `username` a role (None: no role). Raises StaffError naming
        the field when there is no such member, the role is unknown, or the member is
        a site admin (always an administrator)."""
        user = await session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            raise StaffError("username", f"No member is called “{username.strip()}”.")
        if role is not None and role not in STAFF_ROLES:
            raise StaffError("role", f"A role is one of {', '.join(STAFF_ROLES)}.")
        if user.is_admin:
            raise StaffError("username", "Site admins are always administrators.")
        await set_staff_role(session, user.id, role)
        return StaffMember(user.id, user.username, user.display_name, role or "")
