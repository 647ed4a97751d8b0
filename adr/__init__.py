"""The decision log: ADRs with options, a weighted matrix, sensitivity notes, relations
and a lifecycle.

What lives where:

- ``models``: logs, decisions and their parts (every one history-tracked);
- ``services/``: every write (``logs``, ``lifecycle``, ``decisions``, ``parts``, and
  ``writer.decision_save_full``, the one path that writes a whole decision: the edit
  page, the API, the importer and the demo);
- ``selectors``: reads for the pages, in a fixed number of queries; ``search``: the
  full-text search both the list page and the API use; ``versions``: a decision as
  it stood at a version;
- ``panels``: the decision page's slots that later apps (risks, triggers) fill; the
  deferral rule's registry is ``services.DEFERRAL_ALTERNATIVES``. adr never names a
  later app;
- ``views``, ``version_views``, ``forms``, ``urls``, templates: the pages;
  ``api/``: the REST API (``serializers``, ``views``);
- ``interop/``: ADR files in and out (MADR, Nygard), ``interop_views``: their pages;
- ``demo`` with ``demo_data/``: the demo's decisions as MADR files, loaded through the
  importer; ``inbox``, ``calendar``: adr's part of the home page and the calendar;
  ``tasks``, ``admin``, ``management/commands``: around them.
"""
