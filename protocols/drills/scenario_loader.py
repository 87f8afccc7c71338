"""Building a :class:`~protocols.drills.scenario.Scenario` from YAML, with every problem located.

Two layers of checks, all reported together as ``file:line:column: message``:

* shape: unknown or missing keys, wrong types, bad offsets and durations, duplicate ids, an inject
  that is not exactly one of message/upload/report/severity, a variant of an unknown upload;
* against the protocol the scenario names (when a protocol lookup is given): unknown protocol,
  unknown role, step, stage or severity ids.

Imports only ``protocols`` modules and PyYAML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path

import yaml

from protocols.definition import Protocol
from protocols.drills.errors import ScenarioLoadError
from protocols.drills.located_yaml import Issues, NodeReader, compose_file_text
from protocols.drills.offsets import format_offset, parse_duration, parse_offset
from protocols.drills.scenario import (
    EDIT_KINDS,
    EDIT_LIMITS,
    Expectation,
    ExpectationKind,
    ImageEdit,
    Inject,
    InjectKind,
    LiteralHash,
    MatchExpectation,
    Participant,
    PlatformReport,
    Scenario,
    UploadSpec,
)
from protocols.protocol_library import ProtocolLibrary

__all__ = ["ProtocolLookup", "ProtocolSource", "load_scenario", "parse_scenario"]

#: Finds a protocol by id (None when unknown): a ProtocolLibrary method or a dict's ``get``.
ProtocolLookup = Callable[[str], "Protocol | None"]
#: Where protocols come from: a lookup, a ``ProtocolLibrary`` or a mapping by id.
ProtocolSource = ProtocolLookup | ProtocolLibrary | Mapping[str, Protocol]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_TOP_REQUIRED = ("id", "title", "protocol", "severity", "participants", "injects", "expectations")
_TOP_OPTIONAL = ("version", "modelled_on", "description", "duration")
_INJECT_KINDS = tuple(kind.value for kind in InjectKind)
#: expectation key -> (kind, takes a target id, timing keys allowed)
_EXPECTATION_KEYS: dict[str, tuple[ExpectationKind, bool, tuple[str, ...]]] = {
    "step_completed": (ExpectationKind.STEP_COMPLETED, True, ("by",)),
    "role_assigned": (ExpectationKind.ROLE_ASSIGNED, True, ("by",)),
    "severity_set": (ExpectationKind.SEVERITY_SET, True, ("by",)),
    "stage_reached": (ExpectationKind.STAGE_REACHED, True, ("by",)),
    "hash_added": (ExpectationKind.HASH_ADDED, True, ("by", "within")),
    "no_hash_added": (ExpectationKind.NO_HASH_ADDED, False, ()),
    "activated": (ExpectationKind.ACTIVATED, False, ("by",)),
    "concluded": (ExpectationKind.CONCLUDED, False, ("by",)),
    "stood_down": (ExpectationKind.STOOD_DOWN, False, ("by",)),
}
_DEFAULT_DURATION = timedelta(hours=1)


class _ScenarioBuilder:
    def __init__(self, reader: NodeReader, lookup: ProtocolLookup | None) -> None:
        self.r = reader
        self.issues = reader.issues
        self.lookup = lookup
        self.protocol: Protocol | None = None
        self.uploads: dict[str, UploadSpec] = {}

    # -- small typed pieces -------------------------------------------------------------------
    def identifier(self, node: yaml.Node, what: str) -> str | None:
        value = self.r.text(node, what)
        if value is not None and not _ID.match(value):
            self.issues.add(node, f"{what}: {value!r} is not a valid id (letters, digits, _ . : -)")
            return None
        return value

    def unique_id(
        self, fields: dict[str, yaml.Node], what: str, seen: dict[str, yaml.Node]
    ) -> str | None:
        """The ``id`` of a list item; a repeat of an earlier item's id is an issue."""
        if "id" not in fields:
            return None
        item_id = self.identifier(fields["id"], what)
        if item_id is not None and item_id in seen:
            line = seen[item_id].start_mark.line + 1
            self.issues.add(
                fields["id"], f"{what}: duplicate id {item_id!r} (first on line {line})"
            )
        elif item_id is not None:
            seen[item_id] = fields["id"]
        return item_id

    def offset(self, node: yaml.Node, what: str, duration: timedelta) -> timedelta | None:
        value = self.r.parsed(node, what, parse_offset)
        if value is not None and value > duration:
            self.issues.add(
                node,
                f"{what}: {format_offset(value)} is after the drill ends "
                f"({format_offset(duration)}; raise 'duration')",
            )
        return value

    def known(self, node: yaml.Node, what: str, value: str | None, ids: list[str]) -> None:
        """Record an issue when the protocol is known and ``value`` is not one of ``ids``."""
        if value is None or self.protocol is None or value in ids:
            return
        listed = ", ".join(ids)
        self.issues.add(
            node,
            f"{what}: protocol {self.protocol.id!r} has no {what.split('.')[-1]} "
            f"{value!r} (known: {listed})",
        )

    def step_ids(self) -> list[str]:
        return [step.id for _, step in self.protocol.steps()] if self.protocol else []

    def role_ids(self) -> list[str]:
        return list(self.protocol.roles) if self.protocol else []

    def severity_ids(self) -> list[str]:
        return [level.id for level in self.protocol.severity_levels] if self.protocol else []

    def stage_ids(self) -> list[str]:
        return [stage.id for stage in self.protocol.stages] if self.protocol else []

    # -- sections ---------------------------------------------------------------------------
    def resolve_protocol(self, node: yaml.Node) -> str | None:
        protocol_id = self.r.text(node, "protocol")
        if protocol_id is None or self.lookup is None:
            return protocol_id
        self.protocol = self.lookup(protocol_id)
        if self.protocol is None:
            self.issues.add(node, f"protocol: unknown protocol {protocol_id!r}")
        return protocol_id

    def participants(self, node: yaml.Node) -> tuple[Participant, ...]:
        if not isinstance(node, yaml.MappingNode) or not node.value:
            self.issues.add(node, "participants: expected a mapping of name -> role(s)")
            return ()
        out: list[Participant] = []
        seen: set[str] = set()
        for key_node, value_node in node.value:
            name = self.r.text(key_node, "participants")
            if name is None:
                continue
            if name.lower() in seen:
                self.issues.add(key_node, f"participants: duplicate participant {name!r}")
                continue
            seen.add(name.lower())
            role_nodes = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            roles: list[str] = []
            for role_node in role_nodes:
                role = self.r.text(role_node, f"participants.{name}.role")
                self.known(role_node, f"participants.{name}.role", role, self.role_ids())
                if role is not None:
                    roles.append(role)
            out.append(Participant(name=name, roles=tuple(roles)))
        return tuple(out)

    def edits(self, node: yaml.Node) -> tuple[ImageEdit, ...]:
        out: list[ImageEdit] = []
        for item in self.r.sequence(node, "upload.edits") or []:
            if isinstance(item, yaml.MappingNode) and len(item.value) == 1:
                kind_node, amount_node = item.value[0]
                kind = self.r.text(kind_node, "upload.edits")
                amount = self.r.scalar(amount_node, f"upload.edits.{kind}", float)
            else:
                kind_node = item
                kind, amount = self.r.text(item, "upload.edits"), None
            if kind is None:
                continue
            if kind not in EDIT_KINDS:
                self.issues.add(
                    kind_node,
                    f"upload.edits: unknown edit {kind!r} (known: {', '.join(EDIT_KINDS)})",
                )
                continue
            if amount is not None and kind in EDIT_LIMITS:
                low, high = EDIT_LIMITS[kind]
                if not low <= amount <= high:
                    self.issues.add(
                        item, f"upload.edits.{kind}: {amount:g} is outside {low:g}..{high:g}"
                    )
                    continue
            elif amount is not None:
                self.issues.add(item, f"upload.edits.{kind}: takes no amount")
                continue
            out.append(ImageEdit(kind=kind, amount=amount))
        return tuple(out)

    def upload(self, node: yaml.Node, inject_id: str | None) -> UploadSpec | None:
        fields = self.r.mapping(
            node,
            "upload",
            required=("platform",),
            optional=("caption", "seed", "variant_of", "edits", "hash", "expect"),
        )
        if fields is None:
            return None
        sources = [key for key in ("seed", "variant_of", "hash") if key in fields]
        if len(sources) != 1:
            self.issues.add(node, "upload: give exactly one of seed, variant_of or hash")
        seed = self.r.scalar(fields["seed"], "upload.seed", int) if "seed" in fields else None
        variant_of = None
        if "variant_of" in fields:
            variant_of = self.r.text(fields["variant_of"], "upload.variant_of")
            original = self.uploads.get(variant_of or "")
            if variant_of is not None and original is None:
                self.issues.add(
                    fields["variant_of"],
                    f"upload.variant_of: no earlier upload inject {variant_of!r}",
                )
            elif original is not None and original.literal is not None:
                self.issues.add(
                    fields["variant_of"],
                    f"upload.variant_of: {variant_of!r} is a literal hash, not an image",
                )
        if "edits" in fields and "variant_of" not in fields:
            self.issues.add(fields["edits"], "upload.edits: only a variant_of upload has edits")
        literal = self.literal_hash(fields["hash"]) if "hash" in fields else None
        expect = None
        if "expect" in fields:
            expect = self.r.parsed(fields["expect"], "upload.expect", MatchExpectation)
        spec = UploadSpec(
            platform=self.r.text(fields.get("platform"), "upload.platform") or "",
            caption=self.r.scalar(fields["caption"], "upload.caption", str) or ""
            if "caption" in fields
            else "",
            seed=seed,
            variant_of=variant_of,
            edits=self.edits(fields["edits"]) if "edits" in fields else (),
            literal=literal,
            expect=expect,
        )
        if inject_id is not None:
            self.uploads[inject_id] = spec
        return spec

    def literal_hash(self, node: yaml.Node) -> LiteralHash | None:
        fields = self.r.mapping(node, "upload.hash", required=("signal", "value"))
        if fields is None or "signal" not in fields or "value" not in fields:
            return None
        signal = self.r.text(fields["signal"], "upload.hash.signal")
        value = self.r.text(fields["value"], "upload.hash.value")
        if value is not None and not _HEX.match(value):
            self.issues.add(fields["value"], "upload.hash.value: expected hexadecimal digits")
            return None
        if signal is None or value is None:
            return None
        return LiteralHash(signal=signal.lower(), value=value.lower())

    def report(self, node: yaml.Node) -> PlatformReport | None:
        fields = self.r.mapping(node, "report", required=("platform", "text"), optional=("count",))
        if fields is None:
            return None
        count = self.r.scalar(fields["count"], "report.count", int) if "count" in fields else 1
        if count is not None and count < 1:
            self.issues.add(fields["count"], "report.count: must be at least 1")
        return PlatformReport(
            platform=self.r.text(fields.get("platform"), "report.platform") or "",
            text=self.r.text(fields.get("text"), "report.text") or "",
            count=count or 1,
        )

    def inject(
        self, node: yaml.Node, seen: dict[str, yaml.Node], duration: timedelta
    ) -> Inject | None:
        fields = self.r.mapping(
            node, "inject", required=("id", "at"), optional=(*_INJECT_KINDS, "from")
        )
        if fields is None:
            return None
        inject_id = self.unique_id(fields, "inject.id", seen)
        at = self.offset(fields["at"], "inject.at", duration) if "at" in fields else None
        kinds = [key for key in _INJECT_KINDS if key in fields]
        if len(kinds) != 1:
            self.issues.add(node, f"inject: give exactly one of {', '.join(_INJECT_KINDS)}")
            return None
        kind = InjectKind(kinds[0])
        if "from" in fields and kind is not InjectKind.MESSAGE:
            self.issues.add(fields["from"], "inject.from: only a message has a sender")
        body = fields[kind.value]
        text, sender, upload, report, severity = "", "", None, None, None
        if kind is InjectKind.MESSAGE:
            text = self.r.text(body, "inject.message") or ""
            sender = self.r.text(fields["from"], "inject.from") or "" if "from" in fields else ""
        elif kind is InjectKind.UPLOAD:
            upload = self.upload(body, inject_id)
        elif kind is InjectKind.REPORT:
            report = self.report(body)
        else:
            severity = self.r.text(body, "inject.severity")
            self.known(body, "inject.severity", severity, self.severity_ids())
        if inject_id is None or at is None:
            return None
        return Inject(
            id=inject_id,
            at=at,
            kind=kind,
            text=text,
            sender=sender,
            upload=upload,
            report=report,
            severity=severity,
            line=node.start_mark.line + 1,
        )

    def expectation(
        self, node: yaml.Node, seen: dict[str, yaml.Node], duration: timedelta
    ) -> Expectation | None:
        fields = self.r.mapping(
            node,
            "expectation",
            required=("id",),
            optional=(*_EXPECTATION_KEYS, "by", "within", "description"),
        )
        if fields is None:
            return None
        exp_id = self.unique_id(fields, "expectation.id", seen)
        keys = [key for key in _EXPECTATION_KEYS if key in fields]
        if len(keys) != 1:
            self.issues.add(
                node, f"expectation: give exactly one of {', '.join(_EXPECTATION_KEYS)}"
            )
            return None
        key = keys[0]
        kind, takes_target, timing = _EXPECTATION_KEYS[key]
        target = self.expectation_target(fields[key], key, kind, takes_target)
        for timing_key in ("by", "within"):
            if timing_key in fields and timing_key not in timing:
                self.issues.add(fields[timing_key], f"expectation.{timing_key}: not used by {key}")
        if timing and not any(t in fields for t in timing):
            self.issues.add(node, f"expectation: {key} needs {' or '.join(timing)}")
        if "by" in fields and "within" in fields:
            self.issues.add(fields["within"], "expectation: give either by or within, not both")
        deadline = (
            self.offset(fields["by"], "expectation.by", duration)
            if "by" in fields and "by" in timing
            else None
        )
        within = None
        if "within" in fields and "within" in timing:
            within = self.r.parsed(fields["within"], "expectation.within", parse_duration)
            if target is None:
                self.issues.add(fields["within"], "expectation.within: needs an upload inject id")
        description = (
            self.r.scalar(fields["description"], "expectation.description", str) or ""
            if "description" in fields
            else ""
        )
        if exp_id is None:
            return None
        return Expectation(
            id=exp_id,
            kind=kind,
            target=target,
            deadline=deadline,
            within=within,
            description=description,
        )

    def expectation_target(
        self, node: yaml.Node, key: str, kind: ExpectationKind, takes_target: bool
    ) -> str | None:
        if not takes_target:
            if self.r.scalar(node, f"expectation.{key}", bool) is False:
                self.issues.add(node, f"expectation.{key}: write {key}: true (or drop it)")
            return None
        target = self.r.text(node, f"expectation.{key}")
        if kind is ExpectationKind.HASH_ADDED:
            if target == "any":
                return None
            if target is not None and target not in self.uploads:
                self.issues.add(node, f"expectation.hash_added: no upload inject {target!r}")
            return target
        ids = {
            ExpectationKind.STEP_COMPLETED: self.step_ids,
            ExpectationKind.ROLE_ASSIGNED: self.role_ids,
            ExpectationKind.SEVERITY_SET: self.severity_ids,
            ExpectationKind.STAGE_REACHED: self.stage_ids,
        }[kind]()
        noun = {
            "step_completed": "step",
            "role_assigned": "role",
            "severity_set": "severity",
            "stage_reached": "stage",
        }[key]
        self.known(node, f"expectation.{noun}", target, ids)
        return target

    # -- whole file ----------------------------------------------------------------------------
    def build(self, root: yaml.Node | None, source: str) -> Scenario | None:
        if root is None:
            self.issues.add(None, "the file is empty")
            return None
        fields = self.r.mapping(root, "scenario", required=_TOP_REQUIRED, optional=_TOP_OPTIONAL)
        if fields is None:
            return None
        get = fields.get
        scenario_id = self.identifier(fields["id"], "id") if "id" in fields else None
        version = self.r.scalar(fields["version"], "version", int) if "version" in fields else 1
        if version is not None and version < 1:
            self.issues.add(fields["version"], "version: must be 1 or more")
        title = self.r.text(get("title"), "title") if "title" in fields else None
        protocol_id = self.resolve_protocol(fields["protocol"]) if "protocol" in fields else None
        severity = None
        if "severity" in fields:
            severity = self.r.text(fields["severity"], "severity")
            self.known(fields["severity"], "severity", severity, self.severity_ids())
        duration = _DEFAULT_DURATION
        if "duration" in fields:
            duration = self.r.parsed(fields["duration"], "duration", parse_duration) or duration
        participants = self.participants(fields["participants"]) if "participants" in fields else ()
        injects: list[Inject] = []
        seen: dict[str, yaml.Node] = {}
        for node in self.r.sequence(get("injects"), "injects") or [] if "injects" in fields else []:
            inject = self.inject(node, seen, duration)
            if inject is not None:
                injects.append(inject)
        expectations: list[Expectation] = []
        seen_exp: dict[str, yaml.Node] = {}
        if "expectations" in fields:
            for node in self.r.sequence(fields["expectations"], "expectations") or []:
                expectation = self.expectation(node, seen_exp, duration)
                if expectation is not None:
                    expectations.append(expectation)

        def text(key: str) -> str:
            """One of the two optional free-text fields, ``""`` when absent."""
            return self.r.scalar(fields[key], key, str) or "" if key in fields else ""

        if (
            self.issues
            or scenario_id is None
            or title is None
            or protocol_id is None
            or severity is None
            or version is None
        ):
            return None
        return Scenario(
            id=scenario_id,
            version=version,
            title=title,
            protocol=protocol_id,
            severity=severity,
            duration=duration,
            participants=participants,
            # stable order: by time, then as written (ties keep the file's order)
            injects=tuple(sorted(injects, key=lambda i: i.at)),
            expectations=tuple(expectations),
            modelled_on=text("modelled_on"),
            description=text("description"),
            source=source,
        )


def _as_lookup(protocols: ProtocolSource | None) -> ProtocolLookup | None:
    """A lookup returning None for unknown ids (``ProtocolLibrary.get`` raises instead)."""
    if protocols is None or callable(protocols):
        return protocols
    source = protocols
    return lambda protocol_id: source.get(protocol_id) if protocol_id in source else None


def parse_scenario(
    text: str,
    source: str = "<string>",
    *,
    protocols: ProtocolSource | None = None,
) -> Scenario:
    """Parse and validate a scenario; raise ScenarioLoadError listing every problem.

    ``protocols`` finds the named protocol so role, step, stage and severity ids can be checked;
    without it only the shape is validated.
    """
    issues = Issues(source)
    reader = NodeReader(issues)
    root = compose_file_text(text, issues)
    scenario = (
        _ScenarioBuilder(reader, _as_lookup(protocols)).build(root, source) if not issues else None
    )
    if issues or scenario is None:
        raise ScenarioLoadError(issues)
    return scenario


def load_scenario(path: str | Path, *, protocols: ProtocolSource | None = None) -> Scenario:
    """Read and validate a scenario file (see :func:`parse_scenario`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from protocols.drills.located_yaml import Issue

        raise ScenarioLoadError([Issue(str(p), 1, 1, f"cannot read the file: {exc}")]) from None
    return parse_scenario(text, str(p), protocols=protocols)
