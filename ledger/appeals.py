"""Publication and appeals, as the office runs them (docs/scheme.md §9; docs/commands.md §7 "公示",
"异议工作单"): the frozen 公示 records and what has moved since, the disputes across
units as a worklist, and what upholding a dispute would change, computed on the log with its target
voided and nothing appended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kaoping.domain.decimals import fmt
from kaoping.domain.entries import Entry
from kaoping.domain.errors import NotFound, RuleViolation
from kaoping.domain.labels import DISPUTE_STATES
from kaoping.domain.names import FIGURES, PUBLICATIONS_STREAM, unit_of, unit_stream
from kaoping.domain.standings import by_group, stage_figure

from .notary import Notary
from .reader import Reader
from .settings import Settings

Clock = Callable[[], datetime]


class Appeals:
    def __init__(self, reader: Reader, notary: Notary, settings: Settings, clock: Clock):
        self.reader, self.notary, self.settings, self.clock = reader, notary, settings, clock

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(self.settings.zone).isoformat()

    # -- publications -------------------------------------------------------------------------------
    def _published(self) -> list[Entry]:
        self.reader.log.refresh()
        return list(self.reader.log.index.stream(PUBLICATIONS_STREAM))

    def publications(self) -> list[dict[str, Any]]:
        """Every publication, oldest first, without its standings."""
        return [{k: v for k, v in self._document(e).items() if k != "standings"} for e in self._published()]

    def publication(self, publication_id: str) -> dict[str, Any]:
        """`kaoping publication ID --json`: the frozen record, what moved since, and the checkpoint
        that covers it with the entry's inclusion proof, so anyone holding the vkey can check it."""
        entry = next((e for e in self._published() if e.id == publication_id), None)
        if entry is None:
            raise NotFound("publication.unknown", field="id", id=publication_id)
        document = self._document(entry)
        figure = stage_figure(document["stage"])
        now = {code: fmt(getattr(score, figure)) for code, score in self.reader.unit_scores().items()}
        document["changed_since"] = [{"unit": row["unit"], "score": row["score"], "now": now[row["unit"]]}
                                     for row in document["standings"] if now.get(row["unit"]) != row["score"]]
        latest = self.notary.latest()
        if latest is not None and self.notary.leaf_indexes([entry.seq]).get(entry.seq, latest.size) < latest.size:
            document["receipt"] = self.notary.inclusion(entry.seq)
        return document

    def _document(self, entry: Entry) -> dict[str, Any]:
        p = entry.payload
        closes = entry.recorded_at + timedelta(days=int(p["appeal_days"]))
        return {"id": entry.id, "stage": p["stage"], "as_of": p["as_of"], "title": p["title"],
                "published_at": self._local(entry.recorded_at), "appeal_days": p["appeal_days"],
                "appeal_closes": self._local(closes), "appeal_open": self.clock() <= closes,
                "upto_seq": p["upto_seq"], "tree_size": p["tree_size"], "seq": entry.seq,
                "standings": p["standings"]}

    def moved_since(self, publication_id: str) -> dict[str, list[dict[str, Any]]]:
        """For the page: each changed unit's entries appended after the publication's `upto_seq`
        (what moved its figure), newest last."""
        document = self.publication(publication_id)
        changed = {row["unit"] for row in document["changed_since"]}
        registry = self.reader.registry()
        moved: dict[str, list[dict[str, Any]]] = {}
        for code in sorted(changed):
            entries = self.reader.log.index.relevant_to(registry.units[code], registry.units)
            moved[code] = [{"seq": e.seq, "id": e.id, "type": e.type, "recorded_at": self._local(e.recorded_at),
                            "actor": e.actor, "unit": unit_of(e.stream)}
                           for e in entries if e.seq > document["upto_seq"] and _may_move(e)]
        return moved

    # -- the dispute worklist -----------------------------------------------------------------------
    def disputes(self, *, status: str = "open", unit: str | None = None) -> list[dict[str, Any]]:
        """`kaoping disputes`: every dispute (of `unit`), oldest first, with its status: open,
        upheld, rejected (or voided: its filing was voided)."""
        if status not in ("open", "resolved", "all"):
            raise RuleViolation("dispute.status_unknown", field="status", given=status)
        registry = self.reader.registry()
        if unit is not None:
            unit = registry.unit(unit.upper()).code
        log = self.reader.log.refresh()
        by_id = {e.id: e for e in log if unit_of(e.stream) is not None}
        resolutions = {e.payload["dispute"]: e for e in log if e.type == "dispute.resolved"}
        voided = {e.payload["target"]: e for e in log if e.type == "entry.voided"}
        publications = [self._document(e) for e in self._published()]
        rows = []
        for filed in (e for e in log if e.type == "dispute.filed"):
            code = unit_of(filed.stream)
            if unit is not None and code != unit:
                continue
            p = filed.payload
            target = by_id.get(p["target"])
            resolved = resolutions.get(p["dispute"])
            state = ("voided" if filed.id in voided else "open") if resolved is None \
                else resolved.payload["outcome"]
            if (status == "open") != (state == "open") and status != "all":
                continue
            rows.append({
                "dispute": p["dispute"], "unit": code, "target": p["target"],
                "target_type": target.type if target else None, "reason": p["reason"],
                "filed_seq": filed.seq, "filed_at": self._local(filed.recorded_at), "filed_by": filed.actor,
                "status": state, "resolution_reason": resolved.payload["reason"] if resolved else None,
                "resolved_seq": resolved.seq if resolved else None,
                "appeal_closes": _closes(target, publications),
                "target_entry": _entry_json(target, self._local) if target else None,
            })
        return rows

    # -- what upholding would change ----------------------------------------------------------------
    def preview(self, code: str) -> dict[str, Any]:
        """`kaoping dispute preview CODE`: every figure of every unit that would move, ranks too,
        were the dispute upheld now; nothing is appended."""
        dispute = next((d for d in self.disputes(status="all") if d["dispute"] == code), None)
        if dispute is None:
            raise NotFound("dispute.unknown", field="dispute", code=code)
        if dispute["status"] != "open":
            raise RuleViolation("dispute.not_open", field="dispute", code=code,
                                status=DISPUTE_STATES.get(dispute["status"], dispute["status"]),
                                status_en=dispute["status"])
        log = self.reader.log.refresh()
        now = self.clock()
        ruling = Entry(seq=(log[-1].seq if log else 0) + 1, stream=unit_stream(dispute["unit"]),
                       id=f"preview:{code}", type="dispute.resolved", recorded_at=now, appended_at=now,
                       actor="preview", backdated=False,
                       payload={"dispute": code, "outcome": "upheld", "reason": "preview"})
        before, after = self.reader.as_if([]), self.reader.as_if([ruling])
        registry = self.reader.registry()
        ranks_before, ranks_after = _ranks(registry, before), _ranks(registry, after)
        changes = _moves(registry, before, after, ranks_before, ranks_after, "if_upheld")
        own = dispute["unit"]
        return {"dispute": code, "unit": own, "target": dispute["target"],
                "now": {"total": fmt(before[own].total), "rank": ranks_before[own]},
                "if_upheld": {"total": fmt(after[own].total), "rank": ranks_after[own]},
                "changes": changes}


    def void_preview(self, target: str) -> dict[str, Any]:
        """What voiding entry `target` now would move: every figure and rank of every unit, as
        `preview` gives for a dispute; nothing is appended (the office's void form shows it first)."""
        log = self.reader.log.refresh()
        entry = next((e for e in log if e.id == target), None)
        if entry is None:
            raise NotFound("entry.unknown", field="target", id=target)
        now = self.clock()
        void = Entry(seq=log[-1].seq + 1, stream=entry.stream, id=f"preview:void:{target}", type="entry.voided",
                     recorded_at=now, appended_at=now, actor="preview", backdated=False,
                     payload={"target": target, "reason": "preview"})
        before, after = self.reader.as_if([]), self.reader.as_if([void])
        registry = self.reader.registry()
        changes = _moves(registry, before, after, _ranks(registry, before), _ranks(registry, after), "if_voided")
        return {"target": target, "type": entry.type, "seq": entry.seq, "payload": dict(entry.payload),
                "actor": entry.actor, "recorded_at": self._local(entry.recorded_at), "changes": changes}


def _may_move(entry: Entry) -> bool:
    """Whether an entry can move a figure: a dispute filed, or rejected, moves nothing."""
    if entry.type == "dispute.filed":
        return False
    return not (entry.type == "dispute.resolved" and entry.payload.get("outcome") == "rejected")


def _ranks(registry: Any, scores: dict[str, Any]) -> dict[str, int]:
    rows = by_group((u.group, u.code, u.name, fmt(scores[u.code].total)) for u in registry.units.values())
    return {str(row["unit"]): int(row["rank"]) for row in rows}  # type: ignore[call-overload]


def _moves(registry: Any, before: dict[str, Any], after: dict[str, Any], ranks_before: dict[str, int],
           ranks_after: dict[str, int], would: str) -> list[dict[str, Any]]:
    """Every figure and rank that differs between two scorings of every unit, as a preview lists
    them (`would` names the after-value's key: `if_upheld`, `if_voided`)."""
    changes: list[dict[str, Any]] = []
    for unit_code in sorted(registry.units):
        for figure in FIGURES:
            was, then = fmt(getattr(before[unit_code], figure)), fmt(getattr(after[unit_code], figure))
            if was != then:
                changes.append({"unit": unit_code, "figure": figure, "now": was, would: then})
        if ranks_before[unit_code] != ranks_after[unit_code]:
            changes.append({"unit": unit_code, "figure": "rank", "now": ranks_before[unit_code],
                            would: ranks_after[unit_code]})
    return changes


def _closes(target: Entry | None, publications: list[dict[str, Any]]) -> str | None:
    """When the window closes in which the target may be disputed: the latest publication that
    counted it (None when none did: it stays disputable)."""
    if target is None:
        return None
    counted = [p["appeal_closes"] for p in publications
               if target.seq <= p["upto_seq"] and target.recorded_at <= datetime.fromisoformat(p["as_of"])]
    return max(counted) if counted else None


def _entry_json(entry: Entry, local: Callable[[datetime], str]) -> dict[str, Any]:
    return {"seq": entry.seq, "id": entry.id, "type": entry.type, "recorded_at": local(entry.recorded_at),
            "actor": entry.actor, "payload": dict(entry.payload)}


__all__ = ["Appeals"]
