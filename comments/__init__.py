"""Comments on decisions and risk acceptances (issue 14).

A later app: it reads adr and risks and plugs into their pages through their panel
slots; neither of them names it.

- ``models.py``: ``Comment`` (Markdown body, sanitised HTML, one level of replies,
  hidden-by-staff fields, a version) and ``Mention`` (who a comment mentioned, once).
- ``mentions.py``: finding ``@username`` in a body and resolving it to active people
  who may read the commented document.
- ``access.py``: who may read, post on, edit and hide comments of a document.
- ``services.py``: the writes (post, edit within a window, hide with a reason); the
  mentioned are notified through the notification outbox, once each.
- ``selectors.py``: a document's thread in a fixed number of queries.
- ``views.py`` / ``urls.py`` / ``templates/``: the thread panel (htmx) and its forms.

No comment is ever deleted: there is no such service, the admin is read-only, and the
foreign keys PROTECT; a staff member hides one with a reason, and the history keeps
what it said.
"""
