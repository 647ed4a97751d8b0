from django.contrib import admin

from config.admin import ReadOnlyAdmin, ReadOnlyPlainAdmin

from .models import Review, ReviewPolicy, ReviewRequest

admin.site.register(ReviewPolicy, ReadOnlyAdmin)
admin.site.register(ReviewRequest, ReadOnlyAdmin)
admin.site.register(Review, ReadOnlyPlainAdmin)
