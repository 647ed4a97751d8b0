"""Slots of adr's pages that later apps fill (see ``config/panels.py``):
``LOG_ACTIONS``: buttons next to "Edit log" on a log's page (shown to architects)."""

from config.panels import PanelSlot

LOG_ACTIONS = PanelSlot("adr.log_actions")
