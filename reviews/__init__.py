"""Decision review (issue 14): people are asked to review a proposed decision; they
approve it or request changes; a log may require N approvals before a decision in it
is accepted.

A later app: adr knows nothing of it. It plugs in through adr's status checks (a
registry the status service runs before a decision changes status), the decision page's
panel slot, and the home page's inbox registry.

- ``models.py``: ``ReviewPolicy`` (per log: approvals required, deciders only),
  ``ReviewRequest`` (who was asked) and ``Review`` (a verdict on one version of the
  decision; an audit row, never edited or deleted).
- ``rules.py``: which reviews count: an approval is *dismissed* once the decision's
  content moves past the version it approved (as code review dismisses stale approvals);
  the acceptance check.
- ``services.py``: the writes (policy, request, review), each notifying through the outbox.
- ``selectors.py``: the panel's reads and the inbox section's.
- ``views.py`` / ``urls.py`` / ``templates/``: the review panel and the policy form.
"""
