from django.contrib import admin

from config.admin import ReadOnlyAdmin, ReadOnlyPlainAdmin

from .models import Comment, Mention

admin.site.register(Comment, ReadOnlyAdmin)
admin.site.register(Mention, ReadOnlyPlainAdmin)
