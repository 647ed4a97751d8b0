"""Structure read at its root: options as sub-sections with +/- bullets, prose kept in
order, consequences good or bad only when the file says so, metadata verbatim."""

from __future__ import annotations

from adr.interop.parse import parse_adr

OPTIONS = b"""# 4. Pick a queue

## Status

Accepted

## Considered Options

We looked at three brokers.

### 1. RabbitMQ

Mature and boring.

+ routing is flexible
+ we know it
- another server to run

### 2. Kafka

Needs a cluster.

- heavy for our volume
+ replays

Kafka would be right at ten times the volume.

## Decision Outcome

Chosen option: "1. RabbitMQ", because we know it.

## Consequences

Operations learn one more server.

### Negatives and risks

* Another pager.
"""


def test_options_as_sub_sections_with_plus_minus_bullets():
    adr = parse_adr("0004-pick-a-queue.md", OPTIONS)
    assert [o.title for o in adr.options] == ["1. RabbitMQ", "2. Kafka"]
    rabbit, kafka = adr.options
    assert rabbit.good == ["routing is flexible", "we know it"]
    assert rabbit.bad == ["another server to run"]
    assert rabbit.description == "Mature and boring."
    assert rabbit.chosen and adr.outcome_rationale == "we know it."
    assert kafka.bad == ["heavy for our volume"] and kafka.good == ["replays"]
    # Prose stays with its option, in order; the section's lead-in keeps its place.
    assert kafka.description == "Needs a cluster.\n\nKafka would be right at ten times the volume."
    assert adr.source_meta["options_prose"] == [[0, "We looked at three brokers."]]
    assert not adr.problems


def test_consequences_are_neutral_unless_the_file_says_good_or_bad():
    adr = parse_adr("0004-pick-a-queue.md", OPTIONS)
    assert adr.consequences_good == adr.consequences_bad == ""
    assert adr.consequences_neutral == (
        "Operations learn one more server.\n\n### Negatives and risks\n\n* Another pager."
    )
    madr = parse_adr(
        "0005-x.md",
        b"# X\n\n## Decision Outcome\n\nDone.\n\n### Consequences\n\n"
        b"* Good, because fast\n* Bad, because costly\n* Neutral, because new\n\nAlso this.\n",
    )
    assert madr.consequences_good == "* fast"
    assert madr.consequences_bad == "* costly"
    assert madr.consequences_neutral == "* Neutral, because new\n\nAlso this."


def test_metadata_and_front_matter_are_kept_verbatim():
    text = (
        b"---\nparent: Decision Records\nnav_order: 0032\ntags: [a-very-long-tag-name-that-"
        b"goes-on-and-on-for-more-than-fifty-characters]\nstatus: accepted\n---\n"
        b"# Use [Lunr](https://lunrjs.com) for search\n\nDate: 2016-02-12 (originally)\n\n"
        b"## Context\n\nX.\n"
    )
    adr = parse_adr("0032-lunr.md", text)
    assert adr.title == "Use Lunr for search"
    assert adr.source_meta["title_line"] == "Use [Lunr](https://lunrjs.com) for search"
    assert ["nav_order", "nav_order: 0032"] in adr.source_meta["front_matter"]
    assert adr.source_meta["values"]["date"] == "2016-02-12 (originally)"
    assert adr.decided_on.isoformat() == "2016-02-12"
    assert any("longer than 50 characters" in p for p in adr.problems)
    assert "nav_order" not in adr.more_information  # written back as front matter instead
