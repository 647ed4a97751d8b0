"""The decision map of a log: the layout (timeline lanes, graph columns) and its page."""

from __future__ import annotations

import re
from datetime import date

import pytest

from adr import map as decision_map
from adr.models import Decision, DecisionLog, DecisionRelation
from adr.services import decision_create, log_create, relation_add

pytestmark = pytest.mark.django_db

MAP_BOUND = 12  # session, user, navigation counts, log, 2 for the timeline, 2 for the graph


def _unsaved(number: int, status: str = "accepted", title: str = "T") -> Decision:
    log = DecisionLog(pk=1, key="AUTH", name="Auth")
    return Decision(pk=number, log=log, number=number, status=status, title=title)


# --- Layout ---------------------------------------------------------------------------


def test_the_timeline_puts_each_decision_in_its_status_lane_in_date_order():
    items = [
        (_unsaved(1, "accepted"), date(2025, 1, 1)),
        (_unsaved(2, "superseded"), date(2025, 6, 1)),
        (_unsaved(3, "proposed"), date(2026, 1, 1)),
    ]
    t = decision_map.timeline_layout(items)
    lane_y = {lane.status: lane.y for lane in t.lanes}
    by_number = {dot.decision.number: dot for dot in t.dots}
    assert by_number[1].y == lane_y["accepted"]
    assert by_number[2].y == lane_y["superseded"]
    assert by_number[3].y == lane_y["proposed"]
    assert by_number[1].x < by_number[2].x < by_number[3].x
    assert [label for _x, label in t.ticks] == ["2025-01-01", "2026-01-01"]
    assert {lane.status: lane.count for lane in t.lanes}["accepted"] == 1


def test_timeline_dots_and_labels_of_one_lane_never_overlap():
    items = [(_unsaved(n), date(2025, 1, 1 + n % 3)) for n in range(1, 41)]
    t = decision_map.timeline_layout(items)
    xs = sorted(dot.x for dot in t.dots)
    assert all(b - a >= 2 * decision_map.DOT_R for a, b in zip(xs, xs[1:], strict=False))
    rows: dict[float, list[float]] = {}
    for dot in t.dots:
        rows.setdefault(dot.label_y, []).append(dot.label_x)
    assert len(rows) == 2  # both label rows used
    for starts in rows.values():
        starts.sort()
        assert all(b - a >= decision_map.LABEL_W for a, b in zip(starts, starts[1:], strict=False))
    # The drawing grows rather than clip the last label.
    assert t.width >= max(dot.label_x for dot in t.dots) + decision_map.LABEL_W


def _rel(source, target, kind):
    return DecisionRelation(source=source, target=target, kind=kind)


def test_the_graph_puts_a_superseded_decision_left_of_its_successor():
    old, new, newer, side = _unsaved(1), _unsaved(2), _unsaved(3), _unsaved(4)
    g = decision_map.graph_layout(
        [
            _rel(new, old, "supersedes"),
            _rel(newer, new, "amends"),
            _rel(side, old, "relates_to"),
        ],
        log=old.log,
        total=3,
    )
    layer = {n.decision.number: n.layer for n in g.nodes}
    assert layer == {1: 0, 2: 1, 3: 2, 4: 0}
    x = {n.decision.number: n.x for n in g.nodes}
    assert x[1] < x[2] < x[3]
    assert [e.label for e in g.edges] == [
        "AUTH-0002 supersedes AUTH-0001",
        "AUTH-0003 amends AUTH-0002",
        "AUTH-0004 relates to AUTH-0001",
    ]
    # The supersedes edge runs from the successor's left side to the old one's right side.
    node = {n.decision.number: n for n in g.nodes}
    assert g.edges[0].path.startswith(f"M{node[2].x},")
    assert f" {node[1].x + decision_map.NODE_W}," in g.edges[0].path
    assert not g.truncated
    # No two nodes overlap, and all fit in the drawing.
    boxes = [(n.x, n.y) for n in g.nodes]
    assert len(set(boxes)) == len(boxes)
    assert all(n.x + n.width <= g.width and n.y + n.height <= g.height for n in g.nodes)


def test_a_cycle_of_supersedes_does_not_hang_the_layout():
    a, b = _unsaved(1), _unsaved(2)
    g = decision_map.graph_layout(
        [_rel(a, b, "supersedes"), _rel(b, a, "supersedes")], log=a.log, total=2
    )
    assert sorted(n.layer for n in g.nodes) == [0, 1]
    assert len(g.edges) == 2


# --- Page -----------------------------------------------------------------------------


def _make(architect, log, n):
    made = [decision_create(actor=architect, log=log, title=f"Decision {i}") for i in range(n)]
    for older, newer in zip(made, made[1:], strict=False):
        relation_add(actor=architect, source=newer, target=older, kind="amends")
    return made


@pytest.mark.parametrize("n", [3, 90])
def test_the_map_page_has_a_bounded_query_count(
    architect, log, login, django_assert_max_num_queries, n
):
    _make(architect, log, n)
    client = login(architect)
    with django_assert_max_num_queries(MAP_BOUND):
        response = client.get("/decisions/logs/AUTH/map/")
    assert response.status_code == 200
    page = response.content.decode()
    shown = min(n, decision_map.WINDOW)
    assert page.count('class="map-dot-link"') == shown
    if n > decision_map.WINDOW:
        assert "Page 1 of 3" in page
        with django_assert_max_num_queries(MAP_BOUND):
            assert client.get("/decisions/logs/AUTH/map/?page=3").status_code == 200


def test_every_node_links_to_its_decision_and_a_superseded_one_shows_its_edge(
    architect, stakeholder, log, login
):
    old = decision_create(actor=architect, log=log, title="Sessions in cookies", status="accepted")
    new = decision_create(actor=architect, log=log, title="Tokens in memory")
    decision_create(actor=architect, log=log, title="Unrelated")
    relation_add(actor=architect, source=new, target=old, kind="supersedes")
    old.refresh_from_db()
    assert old.status == "superseded"
    page = login(stakeholder).get("/decisions/logs/AUTH/map/").content.decode()
    graph = page.split('class="map-graph"', 1)[1].split("</svg>", 1)[0]
    nodes = re.findall(r'<a href="([^"]+)" class="map-node-link">', graph)
    assert sorted(nodes) == ["/decisions/AUTH-0001/", "/decisions/AUTH-0002/"]  # connected only
    assert "<title>AUTH-0002 supersedes AUTH-0001</title>" in graph
    assert 'class="map-edge kind-supersedes"' in graph
    assert "AUTH-0001 · Superseded" in graph  # status in words, not only a colour
    timeline = page.split('class="map-timeline"', 1)[1].split("</svg>", 1)[0]
    dots = re.findall(r'<a href="([^"]+)" class="map-dot-link">', timeline)
    assert sorted(dots) == [f"/decisions/AUTH-000{i}/" for i in (1, 2, 3)]
    # The phone list says the same in words.
    assert "supersedes" in page.split('class="map-list map-graph-list', 1)[1]


def test_a_relation_to_another_log_shows_the_other_decision_marked_outside(architect, log, login):
    other_log = log_create(actor=architect, key="PAY", name="Payments")
    here = decision_create(actor=architect, log=log, title="Here")
    there = decision_create(actor=architect, log=other_log, title="There")
    relation_add(actor=architect, source=here, target=there, kind="relates_to")
    page = login(architect).get("/decisions/logs/AUTH/map/").content.decode()
    assert 'href="/decisions/PAY-0001/" class="map-node-link"' in page
    assert "outside" in page


def test_the_log_page_links_to_its_map_and_an_unknown_log_is_404(stakeholder, log, login):
    client = login(stakeholder)
    log_page = client.get("/decisions/logs/AUTH/").content.decode()
    assert 'href="/decisions/logs/AUTH/map/"' in log_page
    assert client.get("/decisions/logs/NOPE/map/").status_code == 404
    page = client.get("/decisions/logs/AUTH/map/").content.decode()
    assert "No decisions in this log yet." in page
