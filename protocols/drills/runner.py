"""Running a drill: declare a drill incident, deliver injects on schedule, apply player actions.

The runner is the exercise controller. In drill time (a :class:`DrillClock`) it

1. declares an incident with ``drill=True`` through the real incident engine and assigns the
   scenario's participants their roles (or drives a drill incident the bot already opened, whose
   players take roles themselves), and creates the run's exercise-only hash list;
2. delivers each inject to the sink at its offset and records it in the incident timeline
   (uploads are synthesised, hashed and looked up in the exercise list only);
3. applies participant actions, scripted at offsets or submitted while it runs (typed at a prompt,
   or from Discord), through the engine, so the engine's rules and permissions apply as in a real
   incident; refusals are shown and logged, never fatal;
4. acts as the timer: overdue steps are announced, escalations recorded once (unless another
   dispatcher does it: ``timer=False``);
5. ends at the scenario's duration, when the incident is concluded (or closed) and every inject
   and scripted action is done, or when stopped; then builds the after-action report.

Imports only ``protocols`` modules.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from protocols import commands as c
from protocols.actors import HASH_COORDINATOR, INCIDENT_ADMIN, TIMELINE_RECORDER, Actor
from protocols.definition import Protocol
from protocols.drills.actions import ParticipantAction, ScriptedAction, parse_action_line
from protocols.drills.after_action import AfterActionReport, build_report
from protocols.drills.clock import DrillClock
from protocols.drills.errors import BadAction, DrillError, DrillHalted
from protocols.drills.offsets import format_offset
from protocols.drills.ports import (
    DrillIncidents,
    DrillNotice,
    DrillSink,
    ExerciseHashes,
    PostedAt,
)
from protocols.drills.resume import inject_content_prefix
from protocols.drills.run_log import (
    ActionTaken,
    DrillLogEntry,
    HashAdded,
    InjectDelivered,
    UploadChecked,
)
from protocols.drills.scenario import ImageEdit, Inject, InjectKind, Scenario, UploadSpec
from protocols.drills.synthetic_media import upload_image_bytes
from protocols.errors import ProtocolError
from protocols.permissions import require
from protocols.state import IncidentState

__all__ = ["CONTROLLER", "DrillRunner", "incident_id_for", "new_run_id", "player_actor"]

#: The exercise controller: declares the drill, records injects, fires escalations.
CONTROLLER = Actor(
    id="drill-control",
    name="DRILL control",
    roles=frozenset({INCIDENT_ADMIN, TIMELINE_RECORDER, HASH_COORDINATOR}),
)


def new_run_id(clock: DrillClock) -> str:
    """Short and sortable: T0 to the minute plus four random hex digits."""
    return f"{clock.t0:%Y%m%dT%H%M}-{secrets.token_hex(2)}"


def incident_id_for(run_id: str) -> str:
    return f"drill-{run_id}"


def player_actor(name: str, *, admin: bool = False) -> Actor:
    """A drill participant: only the incident roles they are given, plus ``incident_admin`` for
    players cast in the protocol's lead role (so the lead can stand down a drill incident)."""
    roles = frozenset({INCIDENT_ADMIN}) if admin else frozenset()
    return Actor(id=f"drill-player:{name.lower()}", name=name, roles=roles)


@dataclass(frozen=True)
class _Item:
    at: timedelta
    order: int  # injects before scripted actions at the same offset, then file order
    inject: Inject | None = None
    scripted: ScriptedAction | None = None


class DrillRunner:
    def __init__(
        self,
        scenario: Scenario,
        *,
        protocol: Protocol,
        incidents: DrillIncidents,
        hashes: ExerciseHashes,
        clock: DrillClock,
        sink: DrillSink,
        script: Sequence[ScriptedAction] = (),
        run_id: str | None = None,
        incident_id: str | None = None,
        timer: bool = True,
    ) -> None:
        """``incident_id``: drive an incident someone already declared as a drill (the bot's
        ``/drill start`` opens it with its channel) instead of declaring one; its players then
        take roles themselves. ``timer=False`` leaves overdue steps and escalations to another
        dispatcher (the bot's)."""
        if protocol.id != scenario.protocol:
            raise DrillError(f"scenario {scenario.id} needs protocol {scenario.protocol!r}")
        self.scenario = scenario
        self.protocol = protocol
        self.incidents = incidents
        self.hashes = hashes
        self.clock = clock
        self.sink = sink
        self.run_id = run_id or new_run_id(clock)
        self.incident_id = incident_id or incident_id_for(self.run_id)
        self._adopted = incident_id is not None
        self._timer = timer
        self.log: list[DrillLogEntry] = []
        self.end_reason = ""
        self.ended: timedelta | None = None
        self._items = sorted(
            [_Item(i.at, n, inject=i) for n, i in enumerate(scenario.injects)]
            + [_Item(a.at, len(scenario.injects) + n, scripted=a) for n, a in enumerate(script)],
            key=lambda item: (item.at, item.order),
        )
        self._next = 0
        self._typed: asyncio.Queue[ParticipantAction] = asyncio.Queue()
        self._upload_hashes: dict[str, tuple[str, str]] = {}
        self._announced_overdue: set[str] = set()
        self._started = False
        self._halted = False
        self._state: IncidentState | None = None

    # -- helpers ---------------------------------------------------------------------------------
    async def _show(
        self, kind: str, text: str, *, inject_id: str | None = None, image: bytes | None = None
    ) -> PostedAt | None:
        notice = DrillNotice(self.clock.elapsed(), kind, text, inject_id=inject_id, image=image)
        return await self.sink.show(notice)

    async def _execute(self, command: c.Command) -> None:
        """Every write to the drill incident goes through here (it invalidates the cache)."""
        self._state = None
        await self.incidents.execute(self.incident_id, command)

    async def state(self) -> IncidentState:
        """The drill incident's state, cached within one step of the drill loop."""
        if self._state is None:
            self._state = await self.incidents.get(self.incident_id)
        return self._state

    @property
    def remaining_items(self) -> int:
        return len(self._items) - self._next

    # -- start -----------------------------------------------------------------------------------
    async def start(self) -> IncidentState:
        """Declare the drill incident, assign roles and create the exercise-only hash list."""
        if self._started:
            return await self.state()
        self._started = True
        if self._adopted:
            if not (await self.state()).drill:
                raise DrillError(f"incident {self.incident_id} is not a drill incident")
        else:
            await self._declare()
        await self.hashes.create(created_by=CONTROLLER.name)
        roster = ", ".join(f"{p.name} ({', '.join(p.roles)})" for p in self.scenario.participants)
        if self._adopted:
            roster = f"take the scenario's roles yourselves - cast: {roster}"
        await self._show(
            "start",
            f"Drill {self.scenario.id} v{self.scenario.version} started: {self.scenario.title}. "
            f"Incident {self.incident_id} (protocol {self.protocol.id}, severity "
            f"{self.scenario.severity}); exercise hash list {self.hashes.list_name}; "
            f"players: {roster}; ends at {format_offset(self.scenario.duration)}.",
        )
        return await self.state()

    async def _declare(self) -> None:
        players = [self._player(p.name) for p in self.scenario.participants]
        await self.incidents.declare(
            c.DeclareIncident(
                protocol_id=self.protocol.id,
                title=f"DRILL: {self.scenario.title}",
                severity=self.scenario.severity,
                actor=CONTROLLER,
                drill=True,
                incident_id=self.incident_id,
                participants=tuple(c.Participant(a.id, a.name) for a in players),
            )
        )
        for participant, actor in zip(self.scenario.participants, players, strict=True):
            for role in participant.roles:
                await self._execute(c.AssignRole(role, actor.id, actor.name, actor=CONTROLLER))
        lead = self.protocol.lead_role.id
        if CONTROLLER.id in (await self.state()).holders(lead):  # the declarer got the lead role
            await self._execute(c.UnassignRole(lead, CONTROLLER.id, actor=CONTROLLER))

    def restore(self, log: Sequence[DrillLogEntry], uploads: Mapping[str, tuple[str, str]]) -> None:
        """Continue a run an earlier process started (``protocols.drills.resume``): ``log`` is
        what it did, ``uploads`` the hashes of the uploads it injected. Injects in ``log`` are not
        delivered again; the exercise list and the incident exist already, so ``start`` is done.
        """
        delivered = {e.inject_id for e in log if isinstance(e, InjectDelivered)}
        self.log = list(log)
        self._upload_hashes = dict(uploads)
        self._items = [i for i in self._items if i.inject is None or i.inject.id not in delivered]
        self._next = 0
        self._started = True

    # -- controls --------------------------------------------------------------------------------
    async def pause(self) -> None:
        self.clock.pause()
        await self._show("control", "paused")

    async def resume(self) -> None:
        self.clock.resume()
        await self._show("control", "resumed")

    async def stop(self) -> None:
        self.clock.stop()

    def halt(self) -> None:
        """Stop playing without ending the run (its process stops; ``resume`` continues it).

        What is being delivered is delivered (and recorded) first; then :meth:`run` raises
        :class:`DrillHalted` instead of ending the drill and reporting.
        """
        self._halted = True
        self.clock.stop()

    def submit(self, action: ParticipantAction | str) -> None:
        """Queue an action typed while the drill runs; it happens at the current drill time."""
        if isinstance(action, str):
            action = parse_action_line(action)
        self._typed.put_nowait(action)
        self.clock.interrupt()

    # -- the loop --------------------------------------------------------------------------------
    async def run(self) -> AfterActionReport:
        """Run to the end (see the module docstring) and return the after-action report."""
        await self.start()
        while not self.clock.stopped:
            self._state = None  # others (the bot's buttons) may have written while we waited
            await self._drain_typed()
            reached = await self.clock.wait_until(await self._next_wake())
            if self.clock.stopped:
                break
            if not reached:
                continue
            await self._deliver_due_items()
            await self._check_deadlines()
            if await self._finished():
                break
        if self._halted:
            at = format_offset(self.clock.elapsed())
            raise DrillHalted(f"drill run {self.run_id} halted at {at}")
        if self.clock.stopped and not self.end_reason:
            self.end_reason = "stopped"
        self.clock.stop()
        await self._drain_typed()
        self.ended = min(self.clock.elapsed(), self.scenario.duration)
        report = await self.report()
        summary = report.summary
        await self._show(
            "end",
            f"Drill ended ({self.end_reason}) at {format_offset(self.ended)}: "
            f"{summary['met']} expectations met, {summary['late']} late, "
            f"{summary['missed']} missed.",
        )
        return report

    async def _next_wake(self) -> timedelta:
        times = [self.scenario.duration]
        if self._next < len(self._items):
            times.append(self._items[self._next].at)
        if self._timer:
            deadline = self.incidents.next_deadline(await self.state(), self.clock.now())
            if deadline is not None:
                times.append(deadline - self.clock.t0)
        return max(min(times), self.clock.elapsed())

    async def _finished(self) -> bool:
        if self.clock.elapsed() >= self.scenario.duration:
            self.end_reason = "completed"
            return True
        state = await self.state()
        if self._next >= len(self._items) and state.status in ("concluded", "closed"):
            self.end_reason = state.status
            return True
        return False

    async def _drain_typed(self) -> None:
        while not self._typed.empty():
            await self.act(self._typed.get_nowait(), scripted=False)

    async def _deliver_due_items(self) -> None:
        now = self.clock.elapsed()
        while self._next < len(self._items) and self._items[self._next].at <= now:
            item = self._items[self._next]
            self._next += 1
            if item.inject is not None:
                await self.deliver(item.inject)
            elif item.scripted is not None:
                await self.act(item.scripted.action, scripted=True)

    async def _check_deadlines(self) -> None:
        if not self._timer:
            return
        state = await self.state()
        for due in self.incidents.due(state, self.clock.now()):
            if due.overdue and due.step_id not in self._announced_overdue:
                self._announced_overdue.add(due.step_id)
                holders = ", ".join(due.holders) or "nobody holds the role"
                await self._show(
                    "overdue",
                    f"OVERDUE: step {due.step_id} ({due.title}) was due at "
                    f"{format_offset(due.due_at - self.clock.t0)}; role {due.role}: {holders}",
                )
            if due.escalation_due:
                await self._execute(
                    c.RecordEscalation(due.step_id, due.notify_roles, actor=CONTROLLER)
                )
                await self._show(
                    "escalation",
                    f"ESCALATION: step {due.step_id} still open; notifying "
                    f"{', '.join(due.notify_roles) or 'the lead'}",
                )

    # -- injects ---------------------------------------------------------------------------------
    async def deliver(self, inject: Inject) -> None:
        """Show ``inject`` and record it in the timeline (unless the incident is already closed)."""
        at = self.clock.elapsed()
        recording = (await self.state()).is_open
        image_hashes: tuple[tuple[str, str], ...] = ()
        image: bytes | None = None
        if inject.kind is InjectKind.UPLOAD:
            assert inject.upload is not None
            image, signal, value = await self._materialise(inject.upload)
            self._upload_hashes[inject.id] = (signal, value)
            image_hashes = ((signal, value),)
            text = await self._check_upload(inject, signal, value, image, at, recording)
        elif inject.kind is InjectKind.REPORT:
            assert inject.report is not None
            report = inject.report
            text = f"Report from {report.platform} ({report.count}×): {report.text}"
        elif inject.kind is InjectKind.SEVERITY:
            assert inject.severity is not None
            text = f"Severity is now {inject.severity} (set by exercise control)"
            if recording:
                await self._execute(
                    c.ChangeSeverity(inject.severity, f"DRILL inject {inject.id}", actor=CONTROLLER)
                )
        else:
            text = f"{inject.sender}: {inject.text}" if inject.sender else inject.text
        if at > inject.at:  # only after a resume: drill time ran on while nobody delivered it
            text = f"LATE (due {format_offset(inject.at)}, the drill was resumed) · {text}"
        self.log.append(InjectDelivered(at, inject.id, inject.kind.value, text))
        posted = await self._show(
            inject.kind.value, f"{inject.id} · {text}", inject_id=inject.id, image=image
        )
        if recording:
            channel_id, message_id = posted or (
                f"drill:{self.run_id}",
                f"{self.run_id}:{inject.id}",
            )
            await self._execute(
                c.RecordMessage(
                    message_id=message_id,
                    channel_id=channel_id,
                    author_id=CONTROLLER.id,
                    author_name=inject.sender or CONTROLLER.name,
                    content=f"{inject_content_prefix(inject.id)} {text}",
                    posted_at=self.incidents.clock(),  # the engine's own time
                    image_hashes=image_hashes,
                    actor=CONTROLLER,
                )
            )

    async def _materialise(self, upload: UploadSpec) -> tuple[bytes | None, str, str]:
        if upload.literal is not None:
            return None, upload.literal.signal, upload.literal.value
        seed, edits = self._lineage(upload)
        data = await asyncio.to_thread(upload_image_bytes, seed, edits)
        signal, value = await self.hashes.hash_image(data)
        return data, signal, value

    def _lineage(self, upload: UploadSpec) -> tuple[int, tuple[ImageEdit, ...]]:
        """The root seed and every edit from it, following ``variant_of`` back to the original."""
        edits = upload.edits
        while upload.variant_of is not None:
            original = self.scenario.inject(upload.variant_of).upload
            assert original is not None
            edits = original.edits + edits
            upload = original
        assert upload.seed is not None
        return upload.seed, edits

    async def _check_upload(
        self,
        inject: Inject,
        signal: str,
        value: str,
        image: bytes | None,
        at: timedelta,
        recording: bool,
    ) -> str:
        upload = inject.upload
        assert upload is not None
        match = await self.hashes.lookup(signal, value, image)
        expected = upload.expect.value if upload.expect else None
        self.log.append(
            UploadChecked(
                at,
                inject.id,
                signal,
                value,
                expected,
                match is not None,
                match.distance if match else None,
                match.entry_id if match else None,
            )
        )
        if match is not None and recording:
            await self._execute(
                c.RecordMatch(match.entry_id, reported_by=upload.platform, actor=CONTROLLER)
            )
        where = f"upload on {upload.platform}" + (f": {upload.caption}" if upload.caption else "")
        result = (
            f"MATCH in {self.hashes.list_name} (distance {match.distance})"
            if match
            else "no match in the exercise list"
        )
        return f"{where} — {signal} {value[:16]}… — lookup: {result}"

    # -- actions ---------------------------------------------------------------------------------
    def _player(self, name: str) -> Actor:
        participant = self.scenario.participant(name)
        if participant is None:
            known = ", ".join(p.name for p in self.scenario.participants)
            raise BadAction(f"no participant {name!r} in this drill (participants: {known})")
        return player_actor(participant.name, admin=self.protocol.lead_role.id in participant.roles)

    async def act(
        self, action: ParticipantAction, *, scripted: bool = False, actor: Actor | None = None
    ) -> bool:
        """Apply one player action now; a refusal is shown and logged. True when accepted.

        ``actor`` acts instead of the scenario participant named ``action.by`` (a Discord user).
        """
        at = self.clock.elapsed()
        self._state = None
        try:
            message = await self._apply(action, actor)
        except ProtocolError as exc:
            self.log.append(ActionTaken(at, action, False, str(exc), scripted))
            await self._show("refused", f"REFUSED {action.describe()}: {exc}")
            return False
        self.log.append(ActionTaken(at, action, True, message, scripted))
        await self._show("action", message)
        return True

    async def _apply(self, action: ParticipantAction, actor: Actor | None) -> str:
        actor = actor or self._player(action.by)
        if action.verb == "hash":
            return await self._add_hash(actor, action.upload)
        await self._execute(self._command(action, actor, await self.state()))
        return f"{actor.name}: {action.describe().split(' ', 1)[1]}"

    def _command(self, a: ParticipantAction, actor: Actor, state: IncidentState) -> c.Command:
        verb = a.verb
        if verb == "complete":
            wants_text = self.protocol.step(a.step).evidence in ("text", "link")
            if wants_text and a.text:
                return c.CompleteStep(a.step, evidence=a.text, actor=actor)
            return c.CompleteStep(a.step, note=a.text, actor=actor)
        if verb == "skip":
            return c.SkipStep(a.step, a.text, actor=actor)
        if verb == "reopen":
            return c.ReopenStep(a.step, a.text, actor=actor)
        if verb == "assign":
            other = self._player(a.to)
            return c.AssignRole(a.role, other.id, other.name, actor=actor)
        if verb == "note":
            return c.AddNote(a.text, actor=actor)
        if verb == "severity":
            return c.ChangeSeverity(a.level, a.text or f"set by {actor.name}", actor=actor)
        if verb == "activate":
            return c.ActivateIncident(a.text, actor=actor)
        if verb == "advance":
            return c.AdvanceStage(a.text or "advanced by hand", actor=actor)
        if verb == "conclude":
            return c.Conclude(a.text or "stood down", actor=actor)
        if verb == "stand-down" and state.status == "active":
            return c.Conclude(a.text or "stood down", actor=actor)
        if verb == "stand-down":
            return c.Close(a.text or "stood down: not activated", actor=actor)
        if verb == "close":
            return c.Close(a.text or "drill over", actor=actor)
        raise BadAction(f"unknown action {verb!r}")

    async def _add_hash(self, actor: Actor, upload_id: str) -> str:
        if upload_id not in self._upload_hashes:
            uploads = ", ".join(self._upload_hashes) or "none yet"
            raise BadAction(
                f"no upload {upload_id!r} has been injected (uploads so far: {uploads})"
            )
        if any(isinstance(e, HashAdded) and e.upload_id == upload_id for e in self.log):
            raise BadAction(f"the hash of {upload_id} is already in {self.hashes.list_name}")
        state = await self.state()
        require(state, self.protocol, actor, "can_link_hashes", platform=HASH_COORDINATOR)
        signal, value = self._upload_hashes[upload_id]
        entry_id = await self.hashes.add(
            signal, value, added_by=actor.name, note=f"DRILL {self.scenario.id} {upload_id}"
        )
        await self._execute(
            c.LinkHashEntry(entry_id, self.hashes.list_name, signal, value, actor=actor)
        )
        self.log.append(
            HashAdded(
                self.clock.elapsed(),
                upload_id,
                actor.name,
                entry_id,
                self.hashes.list_name,
                signal,
                value,
            )
        )
        return f"{actor.name} added the {signal} hash of {upload_id} to {self.hashes.list_name}"

    def typed_actions(self) -> list[ScriptedAction]:
        """Actions typed (or sent from Discord) during the run, as a script to replay them."""
        return [
            ScriptedAction(entry.at, entry.action)
            for entry in self.log
            if isinstance(entry, ActionTaken) and not entry.scripted
        ]

    # -- report ----------------------------------------------------------------------------------
    async def report(self) -> AfterActionReport:
        """The after-action report so far (final once ``run`` has returned)."""
        if not self._started:
            raise DrillError("the drill has not started")
        records = await self.incidents.events(self.incident_id)
        return build_report(
            scenario=self.scenario,
            protocol=self.protocol,
            events=[record.event for record in records],
            log=self.log,
            run_id=self.run_id,
            exercise_list=self.hashes.list_name,
            t0=self.clock.t0,
            ended=self.ended if self.ended is not None else self.clock.elapsed(),
            end_reason=self.end_reason or "running",
            speed=self.clock.speed,
            since=self.clock.offset_at,
        )
