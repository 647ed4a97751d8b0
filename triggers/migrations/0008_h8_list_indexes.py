

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('adr', '0008_h8_list_indexes'),
        ('risks', '0008_h8_list_indexes'),
        ('triggers', '0007_h1_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='trigger',
            index=models.Index(fields=['deadline_at', 'next_check_at', 'name', 'id'], name='trigger_list_order'),
        ),
        migrations.AddIndex(
            model_name='trigger',
            index=models.Index(fields=['name', 'id'], name='trigger_name'),
        ),
    ]
