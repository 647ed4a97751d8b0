"""Risk policy by rating (issue 14): what a risk of each rating needs before it may be
accepted, and how often an accepted risk is reviewed.

A later app: risks never names it. It plugs into risks' submit checks and saved hooks
(registries in ``risks/hooks.py``) and the home page's inbox registry.

- ``models.py``: ``Capacity`` (a signing authority such as "security lead" or "CISO"),
  ``CapacityHolder`` (who holds it, granted by staff), ``RiskBand`` (a score range with
  the capacities it needs, the longest expiry and a review cadence) and
  ``AcceptanceReview`` (that someone reviewed an accepted risk; an audit row).
- ``bands.py``: validating a whole policy (no gap, no overlap, a capacity per band, no
  expiry above the organisation's maximum) and finding an acceptance's band.
- ``checks.py``: the submit check and the re-check after a rating change.
- ``services.py``: the writes (save the policy, grant/withdraw a capacity, record a
  review) and the daily review reminders.
- ``selectors.py`` / ``inbox.py``: the "due for review" queue.
- ``views.py`` / ``urls.py`` / ``templates/``: the staff policy editor and the queue.
"""
