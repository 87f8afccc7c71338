"""Discord bot: time from ``/incident open`` to the last checklist posted, and its REST calls.

Runs the real ``CrisisBot`` (discord.py client) against the project's fake Discord on loopback
(``tests.fake_discord``) with the services on a fresh SQLite file, and measures in the same run:

- the baseline: one raw REST round-trip through discord.py's HTTP client to the same fake
  (``POST /channels/{id}/messages``), i.e. the cost of a single unavoidable call;
- ``open``: from sending the INTERACTION_CREATE of ``/incident open`` to the last checklist
  message stored by the fake, plus the number of REST calls it took compared with the minimum
  (create channel, answer, summary, pin, one message per checklist page);
- ``click``: from a checklist button click (a step with no evidence needed) to the re-rendered
  checklist, which must be one call (the interaction answer edits the message).

Goal (issue 6): ``open`` <= 1 s and no avoidable REST calls.
Run: ``python -m benchmarks.run bot [--quick]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import discord
from discord.http import Route

from bot.client import CrisisBot
from bot.custom_ids import step_button_id
from bot.render import checklist_pages
from bot.settings import DiscordSettings
from crisisbot.drill_hashes import exercise_hashes_over
from hashdb import open_hash_service
from protocols import ProtocolLibrary, open_incident_service
from protocols.drills import ScenarioLibrary
from tests.fake_discord import FakeDiscord
from tests.fake_discord.fixtures import running_client

GOAL_SECONDS = 1.0
PROTOCOL = "gifct-cip"


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def _world(db: Path) -> AsyncIterator[tuple[FakeDiscord, CrisisBot, dict, object]]:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Bench")
        admin = guild.add_role("admin")
        responder = guild.add_role("responder")
        alice = guild.add_member("alice", roles=[admin, responder])
        category = guild.add_category("Incidents")
        general = guild.add_text_channel("general")
        settings = DiscordSettings(
            guild_id=guild.id,
            incident_category_id=int(category["id"]),
            responder_role_ids=[responder.id],
            incident_admin_role_ids=[admin.id],
        )
        library = ProtocolLibrary()
        async with (
            open_incident_service(str(db), library=library, clock=utc_now) as incidents,
            open_hash_service(str(db), clock=utc_now) as hashes,
        ):
            bot = CrisisBot(
                settings=settings,
                incidents=incidents,
                hashes=hashes,
                exercise_hashes=exercise_hashes_over(hashes),
                library=library,
                scenarios=ScenarioLibrary(library),
                clock=utc_now,
            )
            async with running_client(bot, fake):
                await bot.resumed.wait()
                yield fake, bot, general, alice


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


async def _run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with _world(Path(tmp) / "bench.db") as (fake, bot, general, alice):
            pages = len(checklist_pages(bot.library.get(PROTOCOL)))
            minimum_calls = 4 + pages
            baseline: list[float] = []
            for _ in range(rounds):
                started = time.perf_counter()
                route = Route("POST", "/channels/{channel_id}/messages", channel_id=general["id"])
                await bot.http.request(route, json={"content": "ping"})
                baseline.append(time.perf_counter() - started)

            opens: list[float] = []
            calls: list[int] = []
            clicks: list[float] = []
            for n in range(rounds):
                mark = fake.mark()
                started = time.perf_counter()
                await fake.slash_command(
                    "incident open",
                    {"protocol": PROTOCOL, "title": f"bench {n}", "severity": "cip"},
                    user=alice,
                    channel=general,
                )
                created = await fake.wait_for_request(
                    "POST", "/guilds/{guild_id}/channels", since=mark, timeout=30
                )
                channel_id = int(created.response["id"])
                await fake.wait_for(
                    lambda cid=channel_id: len(fake.messages.get(cid, [])) >= 1 + pages,
                    timeout=30,
                )
                opens.append(time.perf_counter() - started)
                calls.append(len([r for r in fake.calls(since=mark) if r.status < 300]))

                incident_id = bot.channels.incident_for_channel(channel_id)
                assert incident_id is not None
                custom_id = step_button_id(incident_id, "assess-criteria", "skip")
                # a skip opens a modal: the answer to the click is a single call
                message = next(
                    m for m in fake.messages[channel_id] if custom_id in str(m.get("components"))
                )
                mark = fake.mark()
                started = time.perf_counter()
                click = await fake.click(message, custom_id, user=alice)
                await fake.wait_for_interaction_response(click, timeout=30)
                clicks.append(time.perf_counter() - started)
                assert len(fake.calls(since=mark)) == 1

    base = statistics.median(baseline)
    median_open = statistics.median(opens)
    rows = [
        ("measure", "median ms", "max ms", "x baseline", "REST calls", "goal"),
        (
            "baseline: 1 REST round-trip",
            f"{base * 1000:.1f}",
            f"{max(baseline) * 1000:.1f}",
            "1.0",
            "1",
            "",
        ),
        (
            "/incident open -> checklists",
            f"{median_open * 1000:.1f}",
            f"{max(opens) * 1000:.1f}",
            f"{median_open / base:.1f}",
            f"{max(calls)} (min {minimum_calls})",
            f"<= {GOAL_SECONDS * 1000:.0f} ms: {'met' if max(opens) <= GOAL_SECONDS else 'MISSED'}",
        ),
        (
            "button click -> answer",
            f"{statistics.median(clicks) * 1000:.1f}",
            f"{max(clicks) * 1000:.1f}",
            f"{statistics.median(clicks) / base:.1f}",
            "1",
            "",
        ),
    ]
    _table(rows)
    avoidable = max(calls) - minimum_calls
    print(f"avoidable REST calls per open: {avoidable} ({'none' if avoidable == 0 else 'SOME'})")


def main(quick: bool) -> None:
    discord.utils.setup_logging(level=40)  # errors only: keep the table readable
    asyncio.run(_run(3 if quick else 20))


if __name__ == "__main__":
    main(quick=True)
