"""Upload watch: an attachment served by the fake CDN that matches a stored hash raises an alert
with distance, list and labels; the alert's button (hash coordinators only) adds the upload's
hashes to the list and records them in the incident's timeline."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from bot.custom_ids import upload_add_id
from tests.bot.conftest import BotRunner, Services, Team, as_jpeg, list_with_pdq_of, sample_image
from tests.bot.incident_flow import event_names, open_incident
from tests.fake_discord import FakeDiscord
from tests.fake_discord.payloads import EPHEMERAL


async def alerts(fake: FakeDiscord, team: Team, count: int) -> list[dict]:
    await fake.wait_for(
        lambda: len(fake.messages.get(int(team.alerts["id"]), [])) >= count, what="alert posted"
    )
    return fake.messages[int(team.alerts["id"])]


async def test_matching_upload_alerts_and_coordinator_adds_it_to_the_incident(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    await services.hashes.create_list("tve", labels=["terrorist-content"], created_by="test")
    original = sample_image(1)
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        # the hash coordinator adds the perpetrator image in the incident channel
        ix = await fake.slash_command(
            "hash add",
            {"list": "tve", "labels": "perpetrator-image", "attachment": ("attack.png", original)},
            user=team.carol,
            channel=channel,
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert "linked to the incident timeline" in answer["data"]["content"]
        linked = (await services.incidents.get(incident_id)).linked_hashes
        assert {h.signal for h in linked.values()} == {"md5", "sha256", "pdq", "phash", "orb"}
        # the timeline names the local-feature entry by a summary, not by its 20 KB value
        (features,) = [h for h in linked.values() if h.signal == "orb"]
        assert "keypoints" in features.value and len(features.value) < 80

        # someone re-uploads it re-encoded in a watched channel: PDQ still matches
        await fake.post_message(
            team.watched, team.mallory, "look", attachments=[("repost.jpg", as_jpeg(original))]
        )
        (alert,) = await alerts(fake, team, 1)
        embed = alert["embeds"][0]
        matches = next(f["value"] for f in embed["fields"] if f["name"] == "Matches")
        assert re.search(r"`pdq` distance \*\*\d+\*\*", matches)
        # local features found it too: their score is inliers, with the transform found
        assert re.search(r"`orb` inliers \*\*\d+\*\* \(scale [\d.]+", matches)
        carried = next(f["value"] for f in embed["fields"] if f["name"] == "Upload hashes")
        assert "orb:" not in carried  # 20 KB: the button adds the upload's hashes without it
        assert "`md5`" not in matches  # different bytes: only the perceptual hash matches
        assert "**tve**" in matches and "perpetrator-image" in matches
        assert embed["footer"]["text"] == f"incident {incident_id}"
        assert any(url.endswith("/repost.jpg") for url in fake.cdn_requests)
        names = await event_names(services, incident_id)
        assert "MatchRecorded" in names

        # a responder who is not a hash coordinator cannot use the button
        button = upload_add_id("tve")
        click = await fake.click(alert, button, user=team.bob)
        answer = await fake.wait_for_interaction_response(click)
        assert answer["data"]["flags"] & EPHEMERAL
        assert "hash coordinator" in answer["data"]["content"]
        entries_before = len(await services.hashes.entries("tve"))

        click = await fake.click(alert, button, user=team.carol)
        answer = await fake.wait_for_interaction_response(click)
        assert "added the upload to **tve**" in answer["data"]["content"]
        entries = await services.hashes.entries("tve")
        assert len(entries) > entries_before  # the re-encoded copy's exact hashes are new
        linked_after = (await services.incidents.get(incident_id)).linked_hashes
        assert {str(e.id) for e in entries} <= set(linked_after)


async def test_uploads_that_do_not_match_or_are_too_big_raise_nothing(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    await list_with_pdq_of(services, sample_image(1))
    async with start_bot(upload_max_bytes=100_000):
        await fake.post_message(
            team.watched, team.bob, "", attachments=[("other.png", sample_image(2))]
        )
        await fake.post_message(
            team.watched, team.bob, "", attachments=[("huge.bin", b"\0" * 200_000)]
        )
        await fake.post_message(
            team.general, team.bob, "", attachments=[("a.png", sample_image(1))]
        )
        await fake.wait_for(lambda: any("other.png" in u for u in fake.cdn_requests))
        await asyncio.sleep(0.3)  # give a (wrong) alert time to appear
        assert fake.messages.get(int(team.alerts["id"]), []) == []
        assert not any("huge.bin" in u or "a.png" in u for u in fake.cdn_requests)


async def test_uploads_the_bot_cannot_hash_are_logged_in_one_line(
    fake: FakeDiscord,
    team: Team,
    services: Services,
    start_bot: BotRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Documents and oversized files are everyday uploads, not failures: once each one logged a
    full traceback at warning level."""
    caplog.set_level(logging.INFO, logger="bot.cogs.upload_watch")
    async with start_bot(upload_max_bytes=100_000):
        await fake.post_message(
            team.watched,
            team.bob,
            "minutes",
            attachments=[("notes.txt", b"not an image"), ("huge.bin", b"\0" * 200_000)],
        )

        def skipped() -> list[logging.LogRecord]:
            return [r for r in caplog.records if "not checked" in r.getMessage()]

        await fake.wait_for(lambda: len(skipped()) == 2, what="both uploads logged")
    notes, huge = skipped()
    assert "notes.txt" in notes.getMessage() and "not an image" in notes.getMessage()
    assert "huge.bin" in huge.getMessage() and "100,000 bytes" in huge.getMessage()
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in (notes, huge))
    assert fake.messages.get(int(team.alerts["id"]), []) == []


async def test_hash_add_in_a_closed_incident_channel_adds_without_linking(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    await services.hashes.create_list("tve", created_by="test")
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        ix = await fake.slash_command(
            "incident close", {"reason": "over"}, user=team.alice, channel=channel
        )
        await fake.wait_for_interaction_response(ix)
        before = await event_names(services, incident_id)
        ix = await fake.slash_command(
            "hash add",
            {"list": "tve", "signal": "md5", "value": "a" * 32},
            user=team.carol,
            channel=channel,
        )
        answer = await fake.wait_for_interaction_response(ix)
        assert "Added 1 hash(es)" in answer["data"]["content"]
        assert "not linked" in answer["data"]["content"]
        assert len(await services.hashes.entries("tve")) == 1
        assert await event_names(services, incident_id) == before


async def test_the_alert_button_works_after_a_restart(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    original = sample_image(4)
    await list_with_pdq_of(services, original)
    async with start_bot():
        await fake.post_message(
            team.watched, team.mallory, "", attachments=[("again.jpg", as_jpeg(original))]
        )
        (alert,) = await alerts(fake, team, 1)
    async with start_bot():
        click = await fake.click(alert, upload_add_id("tve"), user=team.carol)
        answer = await fake.wait_for_interaction_response(click)
        assert "added the upload to **tve**" in answer["data"]["content"]
        assert len(await services.hashes.entries("tve")) > 1


async def test_an_alert_the_alert_channel_refuses_goes_to_the_incident_channel(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    await services.hashes.create_list("tve", created_by="test")
    original = sample_image(6)
    async with start_bot():
        channel, incident_id = await open_incident(fake, team, services)
        ix = await fake.slash_command(
            "hash add",
            {"list": "tve", "attachment": ("attack.png", original)},
            user=team.carol,
            channel=channel,
        )
        await fake.wait_for_interaction_response(ix)
        fake.inject_error("POST", f"/channels/{team.alerts['id']}/messages", status=403, code=50001)
        await fake.post_message(team.watched, team.mallory, "", attachments=[("a.png", original)])
        await fake.wait_for(
            lambda: any(
                m.get("embeds") and "Upload matches" in m["embeds"][0].get("title", "")
                for m in fake.messages[int(channel["id"])]
            ),
            what="the alert in the incident channel",
        )
        assert fake.messages.get(int(team.alerts["id"]), []) == []
        assert "MatchRecorded" in await event_names(services, incident_id)


async def test_hash_check_of_an_attachment_finds_a_mirrored_letterboxed_copy(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    """/hash check searches like the upload watch and the API: mirrored pixels, inside borders."""
    import io

    from PIL import Image, ImageOps

    from tests.hashdb.photo_edits import load_photo, photo_bytes

    await list_with_pdq_of(services, photo_bytes("chelsea.png"))
    picture = ImageOps.mirror(load_photo("chelsea.png").convert("RGB"))
    framed = Image.new("RGB", (picture.width, picture.height * 3 // 2), (0, 0, 0))
    framed.paste(picture, (0, picture.height // 4))
    buffer = io.BytesIO()
    framed.save(buffer, "JPEG", quality=85)
    async with start_bot():
        ix = await fake.slash_command(
            "hash check",
            {"attachment": ("repost.jpg", buffer.getvalue())},
            user=team.bob,
            channel=team.general,
        )
        answer = await fake.wait_for_interaction_response(ix)
    assert answer["data"]["flags"] & EPHEMERAL
    assert "list **tve**" in answer["data"]["content"]


async def test_hash_check_of_a_heavy_crop_is_answered_by_local_features(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    """A picture added whole; /hash check of a small off-centre crop of it names the local-feature
    match, its inliers and where the picture was found (no whole-frame hash survives the crop)."""
    import io

    from tests.hashdb.photo_edits import load_photo, photo_bytes

    await services.hashes.create_list("tve", created_by="test")
    (features,) = [
        h for h in await services.hashes.hash_bytes(photo_bytes("coffee.png")) if h.signal == "orb"
    ]
    await services.hashes.add_entry("tve", "orb", features.value, added_by="test")
    picture = load_photo("coffee.png")
    w, h = picture.size
    part = picture.crop((0, h // 3, w * 2 // 3, h)).resize((w // 3, h // 3))
    buffer = io.BytesIO()
    part.save(buffer, "JPEG", quality=85)
    async with start_bot():
        ix = await fake.slash_command(
            "hash check",
            {"attachment": ("crop.jpg", buffer.getvalue())},
            user=team.bob,
            channel=team.general,
        )
        answer = await fake.wait_for_interaction_response(ix)
    (line,) = answer["data"]["content"].splitlines()
    found = r"^🚩 `orb` inliers \*\*\d+\*\* \(scale 0\.\d+, shows 0%-6\d% x 3\d%-100% of the"
    assert re.search(found, line)
    assert "list **tve**" in line


async def test_hash_add_of_a_dark_picture_skips_only_its_low_quality_pdq(
    fake: FakeDiscord, team: Team, services: Services, start_bot: BotRunner
) -> None:
    """A flat (dark) frame's PDQ is of low quality: /hash add stores the attachment's other hashes
    and says which one it skipped and why, instead of refusing the whole file."""
    import io

    from PIL import Image

    await services.hashes.create_list("tve", created_by="test")
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (12, 12, 12)).save(buffer, "PNG")
    async with start_bot():
        ix = await fake.slash_command(
            "hash add",
            {"list": "tve", "attachment": ("dark.png", buffer.getvalue())},
            user=team.carol,
            channel=team.general,
        )
        answer = await fake.wait_for_interaction_response(ix)
    text = answer["data"]["content"]
    assert text.startswith("Added 3 hash(es) to **tve**")
    assert "Skipped `pdq`:" in text and "quality" in text
    stored = {e.signal for e in await services.hashes.entries("tve")}
    assert stored == {"md5", "sha256", "phash"}  # a flat picture has no local features either
