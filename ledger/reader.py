"""The read path: a unit's score, many units' scores, replay, history and standings from the log.

Scores are pure functions of the log prefix, the cutoff and the scheme in force (`domain.scoring`),
so they are cached under what they depend on: the unit, the seq of the last entry relevant to it
(the log is append-only), the cutoff, the scheme version and the registry version. Scoring many
units at one cutoff resolves the log once for them all.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from itertools import islice
from typing import Any

from kaoping.domain.decimals import fmt
from kaoping.domain.entries import Entry, by_seq
from kaoping.domain.errors import InvalidCommand
from kaoping.domain.events import EntryRecorded, stream_id
from kaoping.domain.folds import RegistryState, new_state
from kaoping.domain.moments import parse_as_of
from kaoping.domain.names import REGISTRY_STREAM, unit_stream
from kaoping.domain.reference import Unit
from kaoping.domain.relevance import moves_others, relevant_to
from kaoping.domain.scheme import Scheme
from kaoping.domain.scoring import Cutoff, Resolution, UnitScore, counted, make_cutoff, score_unit
from kaoping.domain.scoring.incremental import Replayer
from kaoping.domain.standings import by_group, pending_for, stage_figure

from . import budget
from .damage import stream_events
from .entry_log import EntryLog, ResultCache
from .notary import Notary
from .settings import Settings
from .store import Index
from .streams import StreamStates

Clock = Callable[[], datetime]


class Reader:
    def __init__(self, store: Any, streams: StreamStates, index: Index, log: EntryLog,
                 notary: Notary, settings: Settings, clock: Clock):
        self.store, self.streams, self.index, self.log = store, streams, index, log
        self.notary = notary
        self.settings, self.clock = settings, clock
        self._registry: RegistryState | None = None
        #: UnitScores with their explanations, weighed by the entries of the unit's stream (what
        #: the explanation cites): about two full sets of standings at the demo year's --scale 20
        self.scores_cache = ResultCache(max_weight=250_000)
        self._replays: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        #: explained replays (`ledger/replay.py`), a unit's each
        self.explained = ResultCache(max_weight=200)
        self._replays_lock = threading.Lock()

    def today(self) -> date:
        return self.clock().astimezone(self.settings.zone).date()

    def registry(self) -> RegistryState:
        """The registry for readers, at the registry version of the log they read (the streams'
        registry may already be past it); shared, since nobody changes it."""
        self.log.refresh()
        version = len(self.log.index.stream(REGISTRY_STREAM))
        cached = self._registry
        if cached is not None and cached.version == version:
            return cached
        registry = self.streams.registry()
        self._registry = registry
        return registry

    def registry_at(self, position: int) -> RegistryState:
        """The registry as the log up to seq `position` leaves it (what rows computed at that
        position were computed under: a scheme amended since is not theirs)."""
        current = self.registry()
        version = sum(1 for entry in self.log.index.stream(REGISTRY_STREAM) if entry.seq <= position)
        if version == current.version:
            return current
        state = new_state(REGISTRY_STREAM)
        for event in islice(stream_events(self.store, stream_id(REGISTRY_STREAM)), version):
            state.apply(event)
        return state  # type: ignore[return-value]

    # -- history --------------------------------------------------------------------------------
    def history(self, code: str) -> list[dict[str, Any]]:
        unit = self.streams.registry().unit(code)
        stream = unit_stream(unit.code)
        state = self.streams.unit(unit.code)
        links = {link.version: link for link in self.index.all_links(stream)}
        leaves = self.notary.leaf_indexes(link.seq for link in links.values())
        rows = []
        for event in stream_events(self.store, stream_id(stream)):
            budget.check()
            link = links[event.originator_version]
            rows.append(self._entry_json(event, link.seq, link.hash, link.prev_hash,
                                         state.entries[event.command_id].voided_by,
                                         link.global_prev_hash, leaves.get(link.seq)))
        return rows

    def _entry_json(self, event: EntryRecorded, seq: int, digest: str, prev: str,
                    voided_by: str | None, global_prev: str, leaf_index: int | None) -> dict[str, Any]:
        tz = self.settings.zone
        row = {
            "seq": seq, "leaf_index": leaf_index, "id": event.command_id, "type": event.entry_type,
            "recorded_at": event.recorded_at.astimezone(tz).isoformat(),
            "appended_at": event.timestamp.astimezone(tz).isoformat(),
            "actor": event.actor, "payload": event.payload, "hash": digest, "prev_hash": prev,
            "voided_by": voided_by, "backdated": event.backdated, "stream": event.stream,
            "version": event.originator_version, "global_prev_hash": global_prev,
        }
        if event.console is not None:  # recorded at the operator's console: who was at it
            row["console"] = event.console
        return row

    # -- scores ---------------------------------------------------------------------------------
    def score(self, code: str, *, as_of: str | None = None, upto: int | None = None,
              entries: Sequence[Entry] | None = None,
              registry: RegistryState | None = None) -> dict[str, Any]:
        """The contract's `score` document. Callers scoring many times pass the log prefix they
        read (`entries`) and the `registry`, so that neither is read again for every unit."""
        registry = registry or self.registry()
        unit = registry.unit(code)
        tz = self.settings.zone
        moment = parse_as_of(as_of, tz) if as_of is not None else None
        if entries is None or self.log.is_prefix(entries):
            # the log (or a prefix of it): scored from its stream index, through the result cache
            log = self.log.refresh() if entries is None else entries
            _check_upto(upto, log)
            result = self._unit_score(unit, registry, log, moment, upto)
        else:  # entries of the caller's own making: scored as given
            _check_upto(upto, entries)
            cutoff = make_cutoff(entries, as_of=moment, upto=upto, tz=tz, today=self.today())
            in_force = registry.scheme_at(self._knowledge_time(entries, moment, upto))
            result = score_unit(unit, registry.units, relevant_to(unit, registry.units, entries),
                                in_force, cutoff, indicators=registry.indicators)
        return result.as_json(unit, as_of=as_of, upto=upto)

    def scores(self, codes: Sequence[str], *, as_of: str | None = None,
               entries: Sequence[Entry] | None = None,
               registry: RegistryState | None = None) -> dict[str, dict[str, Any]]:
        """`score(code, as_of=, entries=, registry=)` for each code (a dict by code), with the log's
        counted entries resolved once for them all rather than once per unit."""
        registry = registry or self.registry()
        units = [registry.unit(code) for code in codes]
        moment = parse_as_of(as_of, self.settings.zone) if as_of is not None else None
        if entries is not None and not self.log.is_prefix(entries):
            return {u.code: self.score(u.code, as_of=as_of, entries=entries, registry=registry)
                    for u in units}
        log = self.log.refresh() if entries is None else entries
        results = self._unit_scores(units, registry, log, moment, None)
        return {u.code: results[u.code].as_json(u, as_of=as_of, upto=None) for u in units}

    def scores_each(self, codes: Sequence[str], *, entries: Sequence[Entry],
                    registry: RegistryState) -> Iterator[tuple[str, dict[str, Any]]]:
        """`scores(codes, entries=, registry=)` (now, no as-of) one unit at a time, in the order of
        `codes`, from one resolution of the log prefix made before the first: a caller can report
        progress as each unit is scored (a rebuild) without resolving the log once per unit."""
        units = [registry.unit(code) for code in codes]
        if not self.log.is_prefix(entries):
            for unit in units:
                yield unit.code, self.score(unit.code, entries=entries, registry=registry)
            return
        for unit, result in self._each_unit_score(units, registry, entries, None, None):
            yield unit.code, result.as_json(unit, as_of=None, upto=None)

    def standings(self, *, group: str | None = None, stage: str = "annual",
                  as_of: str | None = None) -> list[dict[str, Any]]:
        """Standings computed from the log (the read model answers the current ones faster)."""
        figure = stage_figure(stage)
        registry = self.registry()
        entries = self.log.refresh()
        moment = parse_as_of(as_of, self.settings.zone) if as_of is not None else None
        units = [u for u in registry.units.values() if group is None or u.group == group]
        return _ranked(units, self._unit_scores(units, registry, entries, moment, None, explained=False),
                       figure, group)

    def figures_as_of(self, moment: datetime, entries: Sequence[Entry] | None = None,
                      ) -> tuple[int, int, RegistryState, dict[str, UnitScore]]:
        """Every unit's figures as known at `moment` (no explanation), with what they were computed
        on: the log position, the number of entries the moment counts (`EntryLog.counted_at`) and
        the registry. The stored as-of standings (`projections/asof.py`) are these. `entries`: a
        prefix of the log to compute them on (the whole log, held still, when None)."""
        registry = self.registry()
        if entries is None:
            entries = list(self.log.refresh())  # held still: others keep extending the log's own list
        counted = sum(1 for entry in entries if entry.recorded_at <= moment)
        units = list(registry.units.values())
        results = self._unit_scores(units, registry, entries, moment, None, explained=False)
        return (entries[-1].seq if entries else 0), counted, registry, results

    def unit_scores(self, codes: Sequence[str] | None = None, *,
                    as_of: str | None = None) -> dict[str, UnitScore]:
        """Every figure of these units (all when None), unrounded, as known at `as_of` (now when None)."""
        registry = self.registry()
        units = [registry.unit(code) for code in codes] if codes is not None else list(registry.units.values())
        moment = parse_as_of(as_of, self.settings.zone) if as_of is not None else None
        return self._unit_scores(units, registry, self.log.refresh(), moment, None)

    def as_if(self, extra: Sequence[Entry]) -> dict[str, UnitScore]:
        """Every unit's figures now if `extra` entries followed the log (a preview: nothing is
        appended), from one resolution of the whole log with them."""
        registry = self.registry()
        entries = [*self.log.refresh(), *extra]
        cutoff = make_cutoff(entries, tz=self.settings.zone, today=self.today())
        resolved = counted(entries, cutoff)
        in_force = registry.scheme_at(self.clock())
        return {code: score_unit(unit, registry.units, (), in_force, cutoff, resolved=resolved,
                                 indicators=registry.indicators)
                for code, unit in registry.units.items()}

    def frozen(self, stage: str, as_of: datetime, upto: int) -> dict[str, Any]:
        """What a publication freezes: the standings of `stage` as of `as_of` over the entries up to
        seq `upto`, and the size of the tree those entries make."""
        figure = stage_figure(stage)
        registry = self.registry()
        log = self.log.refresh()
        units = list(registry.units.values())
        standings = _ranked(units, self._unit_scores(units, registry, log, as_of, upto), figure, None)
        return {"upto_seq": upto, "tree_size": self.notary.tree_size_at(upto), "standings": standings}

    def _unit_score(self, unit: Unit, registry: RegistryState, log: Sequence[Entry],
                    moment: datetime | None, upto: int | None, *, cache: bool = True,
                    explained: bool = True) -> UnitScore:
        """`score_unit` for `unit` on the log prefix `log`, from the log's stream index. The result is
        a pure function of `_score_key`, so it is cached under it. Not `explained`: the figures
        only, the explanation's leaves citing nothing (what standings read)."""
        key = self._score_key(unit, registry, log, moment, upto, explained)
        if cache:
            hit = self.scores_cache.get(key)
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        cutoff, position = key[2], log[-1].seq if log else 0
        if upto is not None:
            position = min(position, upto)
        resolved = Resolution(self.log.index.relevant_to(unit, registry.units, position), cutoff,
                              cite=explained)
        result = score_unit(unit, registry.units, (), self._in_force(registry, log, moment, upto), cutoff,
                            resolved=resolved, indicators=registry.indicators)
        if cache:
            self.scores_cache.put(key, result, self._weight(unit))
        return result

    def _weight(self, unit: Unit) -> int:
        return 1 + len(self.log.index.stream(unit_stream(unit.code)))

    def _unit_scores(self, units: Sequence[Unit], registry: RegistryState, log: Sequence[Entry],
                     moment: datetime | None, upto: int | None, *,
                     explained: bool = True) -> dict[str, UnitScore]:
        """`_unit_score` for many units at one cutoff: those not cached are scored from one
        resolution of the whole log prefix (`scoring.counted`), which every unit shares."""
        return {unit.code: result for unit, result in
                self._each_unit_score(units, registry, log, moment, upto, explained=explained)}

    def _each_unit_score(self, units: Sequence[Unit], registry: RegistryState, log: Sequence[Entry],
                         moment: datetime | None, upto: int | None, *,
                         explained: bool = True) -> Iterator[tuple[Unit, UnitScore]]:
        """`_unit_scores` one unit at a time, in the order of `units`; the shared resolution is
        made before the first unit that is not cached."""
        keys = [self._score_key(unit, registry, log, moment, upto, explained) for unit in units]
        hits = [self.scores_cache.get(key) for key in keys]
        missing = sum(hit is None for hit in hits)
        resolved = in_force = cutoff = None
        for unit, key, hit in zip(units, keys, hits):
            if hit is not None:
                yield unit, hit
                continue
            budget.check()
            if missing < 3:  # not worth resolving the whole log
                yield unit, self._unit_score(unit, registry, log, moment, upto, explained=explained)
                continue
            if resolved is None:
                cutoff, in_force = key[2], self._in_force(registry, log, moment, upto)
                position = log[-1].seq if log else 0
                prefix = log if upto is None or position <= upto else log[:bisect_right(log, upto, key=by_seq)]
                resolved = Resolution(prefix, cutoff, cite=explained)
            result = score_unit(unit, registry.units, (), in_force, cutoff, resolved=resolved,
                                indicators=registry.indicators)
            self.scores_cache.put(key, result, self._weight(unit))
            yield unit, result

    def _in_force(self, registry: RegistryState, log: Sequence[Entry], moment: datetime | None,
                  upto: int | None) -> Scheme:
        return registry.scheme_at(self._knowledge_time(log, moment, upto))

    def _score_key(self, unit: Unit, registry: RegistryState, log: Sequence[Entry],
                   moment: datetime | None, upto: int | None, explained: bool = True) -> tuple[Any, ...]:
        """What a unit's score at a cutoff depends on: the unit, the seq of the last entry relevant
        to it (the log is append-only), the cutoff, the scheme in force and the registry version."""
        cutoff = make_cutoff(log, as_of=moment, upto=upto, tz=self.settings.zone, today=self.today())
        position = log[-1].seq if log else 0
        if upto is not None:
            position = min(position, upto)  # entries after upto do not count
        return (unit.code, self.log.index.relevant_position(unit, registry.units, position), cutoff,
                moment.isoformat() if moment is not None else None,
                self._in_force(registry, log, moment, upto).version, registry.version, explained)

    def _knowledge_time(self, entries: Sequence[Entry], moment: datetime | None,
                        upto: int | None) -> datetime:
        if moment is not None:
            return moment
        if upto is not None:
            at = bisect_right(entries, upto, key=by_seq)
            if at:
                return entries[at - 1].recorded_at
        return self.clock()

    def figures_now(self, schemes: Sequence[Scheme]) -> list[dict[str, dict[str, str]]]:
        """Every unit's figures as `score` shows them now (no as-of, no upto), once under each of
        `schemes` in place of the one in force, from one resolution of the log: what an amendment's
        dry run compares. Not cached: the schemes are not recorded."""
        registry = self.registry()
        log = self.log.refresh()
        cutoff = make_cutoff(log, tz=self.settings.zone, today=self.today())
        resolved = counted(log, cutoff)
        return [{unit.code: {name: fmt(value) for name, value in score_unit(
                     unit, registry.units, (), scheme, cutoff, resolved=resolved).figures().items()}
                 for unit in registry.units.values()} for scheme in schemes]

    # -- replay ---------------------------------------------------------------------------------
    def replay(self, code: str) -> list[dict[str, Any]]:
        """The unit's total after each entry that concerns it or moves its total, oldest first.
        Each row is judged at its entry's date, so the rows depend on the log alone, and only on
        the entries the unit's score can depend on: kept until one of those is appended."""
        registry = self.registry()
        unit = registry.unit(code)
        self.log.refresh()
        last = self.log.index.relevant_position(unit, registry.units)
        with self._replays_lock:
            cached = self._replays.get(unit.code)
        if cached is not None and cached[0] == last:
            return cached[1]
        rows = self._replay(unit, registry)
        with self._replays_lock:
            self._replays[unit.code] = (last, rows)
        return rows

    def _replay(self, unit: Unit, registry: RegistryState) -> list[dict[str, Any]]:
        """One pass: every entry the unit's score can depend on is applied in seq order to one
        incremental scorer, which gives the total as `score --upto SEQ` shows it."""
        own = unit_stream(unit.code)
        candidates = self.log.index.relevant_to(unit, registry.units)
        in_own_stream = {e.id for e in self.log.index.stream(own)}
        scorer = Replayer(unit, registry.units)
        rows: list[dict[str, Any]] = []
        previous = None
        for entry in candidates:
            budget.check()
            scorer.apply(entry)
            if entry.stream != own:
                others = moves_others(entry, registry.units)
                # a ballot that ranks the unit has its own copy in the unit's stream: count it there
                if entry.id in in_own_stream or not (others is None or unit.code in others):
                    continue
            total = fmt(scorer.total(registry.scheme_at(entry.recorded_at), self.row_cutoff(entry)))
            if entry.stream == own or total != previous:
                rows.append({"seq": entry.seq, "id": entry.id, "type": entry.type, "total": total})
            previous = total
        return rows

    def row_cutoff(self, entry: Entry, day: date | None = None) -> Cutoff:
        """The cutoff of `score --upto entry.seq` (judged at the entry's date, or at `day`)."""
        tz = self.settings.zone
        return Cutoff(judge_date=day or entry.recorded_at.astimezone(tz).date(), upto=entry.seq, tz=tz)


def _ranked(units: Sequence[Unit], results: dict[str, UnitScore], figure: str,
            group: str | None) -> list[dict[str, Any]]:
    """Standings rows of `figure`, each with what it still waits for (`pending`)."""
    rows = by_group(((u.group, u.code, u.name, fmt(getattr(results[u.code], figure))) for u in units), group)
    return [{**row, "pending": pending_for(figure, results[str(row["unit"])].pending)} for row in rows]


def _check_upto(upto: int | None, log: Sequence[Entry]) -> None:
    """A ledger position is a seq the ledger has reached: 1 up to its last entry's."""
    last = log[-1].seq if log else 0
    if upto is not None and not 1 <= upto <= last:
        raise InvalidCommand("upto.out_of_range", field="upto", upto=upto, last=last)


__all__ = ["Reader"]
