"""Risk acceptances: signed documents that accept a risk until a date or a trigger.

What lives where:

- ``models``: the acceptance, its mitigations, required signatories, signatures and
  signing attempts (``ledger_models``: the ledger chain's table);
- ``services``: the write API every page, the API, the demo and other apps use (create,
  edit, lists, submit, sign, revoke, remediate, and the sweep's trigger/expire);
- ``workflow``: the state machine as data (states, actions, who may take them), the
  checks before submission, and the locked-row helpers the services share;
- ``permissions``: who may do what (editors, signatories, the signing lockout) and the
  actions a user may take now, which the pages offer;
- ``content``: a content edit and what it does to signatures; ``parts``: the document's
  lists (mitigations, signatories); ``signatures``: recording signatures and attempts;
- ``signing``: canonical content, digests, signature hashes and the chain's MACs;
- ``notify``: the emails the workflow sends; ``duties``: segregation of duties;
- ``hooks``: the typed registries later apps plug into (checks, saved/removing hooks,
  email context, the acceptance page's panels);
- ``selectors``: reads for the pages and the API; ``views``/``version_views``/``api``/
  ``forms``: thin pages and endpoints;
- ``ledger_*``, ``verification``, ``signed_rounds``, ``versions``: the tamper-evident
  ledger, ``verify_ledger`` and the history of signed rounds;
- ``inbox``, ``calendar``, ``search``, ``demo``, ``admin``, ``tasks``: the home page,
  calendar feed, global search, demo seed, read-only admin and Celery tasks.
"""
