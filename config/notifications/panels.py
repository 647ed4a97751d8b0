"""Slots of the staff outbox page that later apps fill (see ``config/panels.py``):
``OUTBOX`` is rendered below the email table, e.g. deliveries to chat channels."""

from config.panels import PanelSlot

OUTBOX = PanelSlot("notifications.outbox")
