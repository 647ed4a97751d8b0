"""Trigger pages, by page family (thin: services do the work; `config.errors` turns a
service's ValidationError into form errors or messages):

- `pages`: the trigger list, a trigger's page and history, and its buttons
  (acknowledge, resolve, disarm, re-arm);
- `editing`: defining and editing a trigger;
- `initiatives`: the initiative list, pages, form and status change;
- `webhook`: the signed ``POST /hooks/<uuid>/`` endpoint.
"""
