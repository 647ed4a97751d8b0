"""Channels beyond email: Slack-compatible and Microsoft Teams incoming webhooks and a
generic JSON webhook signed with HMAC-SHA256, configured per decision log and
optionally per trigger. A Django app of its own (label ``channels``) after ``triggers``;
no earlier app names it.

- ``models``: `Channel` (where to post; history, secret never in it) and
  `ChannelDelivery` (the outbox row: one per fired event and channel);
- ``payloads``: the body each kind posts, and the signature headers of the signed kind;
- ``transport``: the URL check for the form and the POST itself, both through
  ``triggers.netguard`` (allow-listed hosts, no private addresses after DNS and after
  each redirect unless ``LEDGER_CHANNEL_PRIVATE_HOSTS`` names the host);
- ``services``: writes — add, disable, enable, test a channel; queue deliveries for
  fired events (registered in ``triggers.fired_hooks``);
- ``sending``: claim a delivery, post it, record the outcome; retry with backoff; the
  requeue that finds what a lost broker message left;
- ``selectors``: reads for the log's channel page and the staff outbox panel;
- ``tasks``, ``views``, ``forms``, ``urls``: thin.
"""
