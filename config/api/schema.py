"""OpenAPI (drf-spectacular) extensions: how our token authentication is described."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "config.accounts.api_auth.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from your profile page: "
            "`Authorization: Bearer dl_…` (the keyword `Token` works too).",
        }
