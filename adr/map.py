"""The decision map of one log: a timeline of its decisions by date and status, and a
graph of how they supersede, amend and relate to each other, laid out here for an
inline SVG drawn by the template (adr/map.html). No JavaScript, no layout library.

Bounded whatever the size of the log: the timeline shows one window of `WINDOW`
decisions (newest first, paged), the graph only decisions that have a relation, at
most `MAX_LINKS` relations. A fixed number of queries: one count and one slice for the
timeline, one count and one slice for the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import DateField, Q
from django.db.models.functions import Coalesce, TruncDate

from config.accounts.roles import require_reader
from config.dates import format_date

from .access import readable_log_q
from .models import Decision, DecisionLog, DecisionRelation

WINDOW = 40  # decisions per timeline page
MAX_LINKS = 120  # relations drawn in the graph

# Timeline geometry (SVG user units = CSS px: the drawing is not scaled).
T_WIDTH = 960
T_LEFT = 120  # room for the lane names
T_RIGHT = 30
LANE_H = 44
T_TOP = 30  # room for the date ticks
DOT_R = 6
LABEL_W = 34  # a decision number at 11 px ("0123"), plus a gap
# Label offsets from the dot, tried in turn until one does not overlap its row.
LABEL_ROWS = (-10, 19)

# Graph geometry.
NODE_W = 170
NODE_H = 46
COL_GAP = 60
ROW_GAP = 16
G_MARGIN = 12
TITLE_CHARS = 24

STATUSES = [value for value, _label in Decision.Status.choices]
STATUS_LABEL = dict(Decision.Status.choices)
KIND_LABEL = dict(DecisionRelation.Kind.choices)
# Relations that order decisions in time: the source is the newer decision.
DIRECTED = {DecisionRelation.Kind.SUPERSEDES, DecisionRelation.Kind.AMENDS}


@dataclass
class TimelineDot:
    decision: Decision
    on: date
    x: float
    y: float
    label_x: float
    label_y: float

    @property
    def on_text(self) -> str:
        return format_date(self.on)


@dataclass
class Lane:
    status: str
    label: str
    y: float
    count: int = 0


@dataclass
class Timeline:
    width: int
    height: int
    lanes: list[Lane]
    dots: list[TimelineDot]
    ticks: list[tuple[float, str]]
    page: Page


@dataclass
class Node:
    decision: Decision
    x: float
    y: float
    layer: int
    outside: bool  # a decision of another log, related to one of this log

    width: int = NODE_W
    height: int = NODE_H

    @property
    def text_x(self) -> float:
        return self.x + 8

    @property
    def ref_y(self) -> float:
        return self.y + 18

    @property
    def title_y(self) -> float:
        return self.y + 36

    @property
    def title_short(self) -> str:
        title = self.decision.title
        return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


@dataclass
class Edge:
    relation: DecisionRelation
    kind: str
    label: str
    path: str


@dataclass
class Graph:
    width: int
    height: int
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    total_links: int = 0

    @property
    def truncated(self) -> bool:
        return self.total_links > len(self.edges)


@dataclass
class DecisionMap:
    log: DecisionLog
    timeline: Timeline
    graph: Graph
    window: int = WINDOW
    max_links: int = MAX_LINKS


def decision_map(*, user, log: DecisionLog, page: str | int | None = None) -> DecisionMap:
    """The map of `log`: timeline page `page` (1 = the newest decisions) and the graph."""
    require_reader(user)
    return DecisionMap(log=log, timeline=_timeline(log, page), graph=_graph(log, user=user))


# --- Timeline -------------------------------------------------------------------------


def _timeline(log: DecisionLog, page: str | int | None) -> Timeline:
    # A decision's date: when it was decided, else the day it was logged.
    decisions = (
        Decision.objects.filter(log=log)
        .select_related("log")
        .only("log__key", "number", "title", "status", "decided_on", "created_at")
        .annotate(on=Coalesce("decided_on", TruncDate("created_at"), output_field=DateField()))
        .order_by("-on", "-number")
    )
    window = Paginator(decisions, WINDOW).get_page(page)
    # `on` is the annotation above; django-stubs loses annotations through a Page.
    items: list[tuple[Decision, date]] = [(d, d.on) for d in window]  # type: ignore[attr-defined]
    return timeline_layout(items, page=window)


def timeline_layout(items: list[tuple[Decision, date]], *, page=None) -> Timeline:
    """Dots on a time axis, one lane per status. A dot that would overlap the one before it
    in its lane moves right (its title and the list keep the exact date); a label takes the
    first row (above, below) where it does not overlap the label before it."""
    lanes = [
        Lane(status=s, label=STATUS_LABEL[s], y=T_TOP + LANE_H * i + LANE_H / 2)
        for i, s in enumerate(STATUSES)
    ]
    lane_of = {lane.status: lane for lane in lanes}
    height = T_TOP + LANE_H * len(lanes) + 10
    span_left, span_right = T_LEFT + DOT_R, T_WIDTH - T_RIGHT
    ordered = sorted(items, key=lambda item: (item[1], item[0].number))
    ticks: list[tuple[float, str]] = []
    dots: list[TimelineDot] = []
    if ordered:
        first, last = ordered[0][1], ordered[-1][1]
        days = max((last - first).days, 1)

        def x_of(on: date) -> float:
            if first == last:
                return (span_left + span_right) / 2
            return span_left + (on - first).days / days * (span_right - span_left)

        ticks = [(round(x_of(first), 1), format_date(first))]
        if last != first:
            ticks.append((round(x_of(last), 1), format_date(last)))
        last_dot: dict[str, float] = {}
        last_label: dict[tuple[str, int], float] = {}
        for decision, on in ordered:
            lane = lane_of.get(decision.status, lanes[0])
            lane.count += 1
            x = max(x_of(on), last_dot.get(lane.status, -1e9) + 2 * DOT_R + 2)
            last_dot[lane.status] = x
            row = next(
                (r for r in range(len(LABEL_ROWS)) if last_label.get((lane.status, r), -1e9) <= x),
                None,
            )
            if row is None:  # both rows taken: the lower one, after the label before it
                row = min(range(len(LABEL_ROWS)), key=lambda r: last_label.get((lane.status, r), 0))
            label_x = max(x, last_label.get((lane.status, row), -1e9))
            last_label[(lane.status, row)] = label_x + LABEL_W
            dots.append(
                TimelineDot(
                    decision=decision,
                    on=on,
                    x=round(x, 1),
                    y=lane.y,
                    label_x=round(label_x, 1),
                    label_y=lane.y + LABEL_ROWS[row],
                )
            )
    width = max(T_WIDTH, int(max((d.label_x for d in dots), default=0) + LABEL_W))
    return Timeline(width=width, height=int(height), lanes=lanes, dots=dots, ticks=ticks, page=page)


# --- Graph ----------------------------------------------------------------------------


def _graph(log: DecisionLog, *, user) -> Graph:
    # Links to a log the user may not read (team-private) are left out (adr.access).
    touching = (Q(source__log=log) | Q(target__log=log)) & (
        readable_log_q(user, prefix="source__log__") & readable_log_q(user, prefix="target__log__")
    )
    fields = ("log__key", "number", "title", "status", "log_id")
    relations = (
        DecisionRelation.objects.filter(touching)
        .select_related("source__log", "target__log")
        .only(
            "kind",
            "note",
            *(f"source__{f}" for f in fields),
            *(f"target__{f}" for f in fields),
        )
        .order_by("source__number", "target__number", "kind", "pk")
    )
    total = relations.count()
    return graph_layout(list(relations[:MAX_LINKS]), log=log, total=total)


def graph_layout(relations: list[DecisionRelation], *, log: DecisionLog, total: int) -> Graph:
    """Columns by age: a decision stands one column right of every decision it supersedes
    or amends (longest path; a cycle is cut where it closes). Relates-to does not order.
    Within a column, by number. Edges run from the newer decision to the older one."""
    decisions: dict[int, Decision] = {}
    older: dict[int, set[int]] = {}  # decision → decisions it supersedes or amends
    for rel in relations:
        decisions[rel.source_id] = rel.source
        decisions[rel.target_id] = rel.target
        if rel.kind in DIRECTED:
            older.setdefault(rel.source_id, set()).add(rel.target_id)
    layer = _layers(sorted(decisions), older)
    columns: dict[int, list[int]] = {}
    for pk in sorted(decisions, key=lambda pk: (decisions[pk].log.key, decisions[pk].number)):
        columns.setdefault(layer[pk], []).append(pk)
    nodes: dict[int, Node] = {}
    for col, pks in columns.items():
        for row, pk in enumerate(pks):
            nodes[pk] = Node(
                decision=decisions[pk],
                x=G_MARGIN + col * (NODE_W + COL_GAP),
                y=G_MARGIN + row * (NODE_H + ROW_GAP),
                layer=col,
                outside=decisions[pk].log_id != log.pk,
            )
    edges = [_edge(rel, nodes[rel.source_id], nodes[rel.target_id]) for rel in relations]
    n_cols = max(columns, default=-1) + 1
    n_rows = max((len(pks) for pks in columns.values()), default=0)
    # Same-column arcs bulge right of their column: room for them after the last one.
    width = 2 * G_MARGIN + n_cols * NODE_W + max(n_cols - 1, 0) * COL_GAP + COL_GAP
    height = 2 * G_MARGIN + n_rows * NODE_H + max(n_rows - 1, 0) * ROW_GAP
    return Graph(
        width=width if nodes else 0,
        height=height if nodes else 0,
        nodes=list(nodes.values()),
        edges=edges,
        total_links=total,
    )


def _layers(pks: list[int], older: dict[int, set[int]]) -> dict[int, int]:
    """Longest-path layering over `older`; an edge that would close a cycle is ignored."""
    layer: dict[int, int] = {}
    visiting: set[int] = set()

    def depth(pk: int) -> int:
        if pk in layer:
            return layer[pk]
        visiting.add(pk)
        below = [depth(t) for t in sorted(older.get(pk, ())) if t not in visiting]
        visiting.discard(pk)
        layer[pk] = 1 + max(below) if below else 0
        return layer[pk]

    for pk in pks:
        # Iterative deepening would be needed past Python's recursion limit; MAX_LINKS
        # relations make at most MAX_LINKS levels, well under it.
        depth(pk)
    return layer


def _edge(rel: DecisionRelation, source: Node, target: Node) -> Edge:
    label = f"{rel.source.reference} {KIND_LABEL[rel.kind].lower()} {rel.target.reference}"
    sy, ty = source.y + NODE_H / 2, target.y + NODE_H / 2
    if source.layer == target.layer:
        # An arc right of the column, from one node's right side to the other's.
        x = source.x + NODE_W
        bulge = x + COL_GAP * 0.8
        path = f"M{x},{sy} C{bulge},{sy} {bulge},{ty} {x},{ty}"
    else:
        # From the side of the source facing the target to the target's facing side.
        if source.layer > target.layer:
            sx, tx = source.x, target.x + NODE_W
        else:
            sx, tx = source.x + NODE_W, target.x
        mid = (sx + tx) / 2
        path = f"M{sx},{sy} C{mid},{sy} {mid},{ty} {tx},{ty}"
    return Edge(relation=rel, kind=rel.kind, label=label, path=path)
