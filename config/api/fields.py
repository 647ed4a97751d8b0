"""Serializer fields shared by the API."""

from rest_framework import serializers


class SafeSlugRelatedField(serializers.SlugRelatedField):
    """A SlugRelatedField that refuses NUL characters before the lookup (PostgreSQL
    cannot even compare them, so DRF's field would fail with a 500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)
