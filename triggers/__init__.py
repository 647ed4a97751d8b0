"""Triggers: conditions that re-open a deferred decision or a risk acceptance.

What lives where:

- `models`: triggers, initiatives, evaluations, fired events, webhook deliveries;
- `params`: each kind's parameters, validated and normalised (`clean_params`);
- `services`: writes from people (define, edit, acknowledge, resolve, disarm, re-arm;
  initiatives); `access`: who a trigger involves, who may acknowledge and operate;
- `evaluate`: one evaluator per kind in a registry (`EVALUATORS`): when a trigger is
  next due (`next_check`) and what looking at it does (`handle`);
- `firing`: the firing work shared by the sweep, webhooks and initiatives (`Work`:
  evaluations, fired events, trigger updates, effects on risks/adr, outbox rows);
- `sweep`: the claim loop (batches under ``SKIP LOCKED``, probes outside transactions);
  `isolation`: one trigger's failure stays its own; `probes`, `netguard`,
  `netaddress`: the metric probes and their network guard;
- `webhooks`: verifying a signed webhook call and firing its trigger;
- `plugins`: what triggers plugs into adr and risks (registered in `apps`);
  `removal`: what a removed mitigation does to its triggers;
- `ledger`: the hash chain of fired events; `selectors`: reads for pages and the API;
- `views/` (by page family), `forms`, `api`, `tasks`, `urls`, `hook_urls`; `calendar`,
  `inbox`, `search`: what triggers contributes to those project pages; `demo`.
"""
