from django.contrib import admin

from config.admin import ReadOnlyAdmin, ReadOnlyPlainAdmin

from .models import AcceptanceReview, Capacity, CapacityHolder, RiskBand

for model in (Capacity, CapacityHolder, RiskBand):
    admin.site.register(model, ReadOnlyAdmin)
admin.site.register(AcceptanceReview, ReadOnlyPlainAdmin)
