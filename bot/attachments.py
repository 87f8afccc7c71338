"""Reading a Discord attachment for hashing: size-limited, and only ever held briefly.

The size is checked from the attachment's metadata before anything is downloaded. Callers hand
the bytes straight to the hash service (``hash_bytes`` / ``match_bytes``, which hash off the event
loop) and drop them; the bot never stores an upload.
"""

from __future__ import annotations

import discord

from bot.errors import UserFacingError, describe_refusal

__all__ = ["read_attachment"]


async def read_attachment(attachment: discord.Attachment, *, max_bytes: int) -> bytes:
    """The attachment's bytes from the CDN, refusing files over ``max_bytes`` before download."""
    if attachment.size > max_bytes:
        raise UserFacingError(
            f"{attachment.filename} is {attachment.size:,} bytes; the bot only reads files up to "
            f"{max_bytes:,} bytes. Hash it locally with `crisisbot hash` instead."
        )
    try:
        data = await attachment.read()
    except discord.HTTPException as error:
        raise UserFacingError(
            f"Could not download {attachment.filename}: {describe_refusal(error)}. Nothing was "
            "changed; try again, or hash it locally with `crisisbot hash`."
        ) from error
    if len(data) > max_bytes:  # the size in the metadata was wrong (or missing)
        raise UserFacingError(
            f"{attachment.filename} is larger than the {max_bytes:,} bytes the bot reads."
        )
    return data
