"""Drill hashes through the real lookup API: real keys never see them, exercise keys may."""

from __future__ import annotations

from pathlib import Path

from crisisbot.drill_hashes import exercise_hashes_over
from protocols.drills.actions import load_script
from protocols.drills.clock import DrillClock
from protocols.drills.session import create_runner
from protocols.protocol_library import ProtocolLibrary
from protocols.service import open_incident_service
from tests.api.conftest import FakeClock, running_api
from tests.drills.helpers import SCRIPTS_DIR, T0, CollectingSink


async def test_real_keys_never_see_drill_hashes(
    tmp_path: Path, protocol_library: ProtocolLibrary, scenario_library
) -> None:
    async with running_api(tmp_path, FakeClock()) as api:
        await api.svc.create_list("real", created_by="operator")
        real_key = await api.key("smallplatform")
        drill_key = await api.key("smallplatform", exercise=True)
        status, feed, _ = await api.call("GET", "/v1/changes", real_key)
        assert status == 200
        cursor = feed["next_cursor"]

        clock = DrillClock(T0)
        async with open_incident_service(api.db, library=protocol_library, clock=clock.now) as inc:
            runner = create_runner(
                scenario_library.find("livestream-attack"),
                library=protocol_library,
                incidents=inc,
                exercise_hashes=exercise_hashes_over(api.svc),
                clock=clock,
                sink=CollectingSink(),
                script=load_script(SCRIPTS_DIR / "livestream-attack.perfect.yaml"),
                run_id="api",
            )
            report = await runner.run()
        entries = await api.svc.entries(report.exercise_list)
        assert len(entries) == 2

        status, body, _ = await api.call("GET", "/v1/lists", real_key)
        assert [hl["name"] for hl in body["lists"]] == ["real"]
        status, page, _ = await api.call("GET", f"/v1/changes?since={cursor}", real_key)
        assert status == 200 and page["changes"] == []
        for entry in entries:
            hit = f"/v1/match?signal={entry.signal}&value={entry.value}"
            status, body, _ = await api.call("GET", hit, real_key)
            assert status == 200 and body["matches"] == []
            status, body, _ = await api.call("GET", hit + "&include_exercise=true", real_key)
            assert status == 403  # a real key may not even ask
            # a platform rehearsing with an exercise key matches the drill, marked as such
            status, body, _ = await api.call("GET", hit + "&include_exercise=true", drill_key)
            assert status == 200 and body["drill"] is True
            assert [m["list_name"] for m in body["matches"]] == [report.exercise_list]
