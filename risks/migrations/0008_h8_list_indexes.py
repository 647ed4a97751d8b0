

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('adr', '0008_h8_list_indexes'),
        ('risks', '0007_h7_sso_evidence'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='riskacceptance',
            index=models.Index(fields=['-created_at', '-id'], name='acceptance_recent'),
        ),
    ]
