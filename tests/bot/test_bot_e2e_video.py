"""Videos through the real bot and the fake Discord: a video added with /hash add is one entry; an
edited copy posted in a watched channel raises an alert naming the stored video and the time
ranges; /hash check of a video answers the same way."""

from __future__ import annotations

import pytest

from tests.bot.conftest import BotRunner, Services, Team
from tests.bot.test_bot_e2e_uploads import alerts
from tests.fake_discord import FakeDiscord
from tests.hashdb.video_clips import letterbox, short_clip, transcode


@pytest.fixture(scope="module")
def clip() -> bytes:
    return short_clip()


async def test_a_watched_video_upload_alerts_with_the_stored_video_and_time_range(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner, clip: bytes
) -> None:
    await services.hashes.create_list("tve", labels=["terrorist-content"], created_by="test")
    copy = transcode(clip, transform=letterbox, start=3.0)
    async with start_bot():
        ix = await fake.slash_command(
            "hash add",
            {"list": "tve", "labels": "attack-video", "attachment": ("attack.mp4", clip)},
            user=team.carol,
            channel=team.general,
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert "Added 1 hash(es) to **tve**" in answer["data"]["content"]
        (entry,) = await services.hashes.entries("tve")
        assert (entry.signal, entry.source) == ("vpdq", "discord: attack.mp4")

        await fake.post_message(team.watched, team.mallory, "", attachments=[("repost.mp4", copy)])
        (alert,) = await alerts(fake, team, 1)
        embed = alert["embeds"][0]
        matches = next(f["value"] for f in embed["fields"] if f["name"] == "Matches")
        assert "`vpdq`" in matches and "**tve**" in matches and f"entry #{entry.id}" in matches
        assert "(query 00:00-" in matches and "<-> stored 00:0" in matches
        assert "; discord: attack.mp4)" in matches  # the stored video, by the file it came from
        carried = next(f["value"] for f in embed["fields"] if f["name"] == "Upload hashes")
        assert carried.startswith("md5:")

        ix = await fake.slash_command(
            "hash check", {"attachment": ("repost.mp4", copy)}, user=team.bob, channel=team.general
        )
        answer = await fake.wait_for_interaction_response(ix)
        content = answer["data"]["content"]
        assert "(query 00:00-" in content and "discord: attack.mp4" in content
