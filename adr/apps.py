from django.apps import AppConfig


class AdrConfig(AppConfig):
    name = "adr"
    verbose_name = "Decision log"
