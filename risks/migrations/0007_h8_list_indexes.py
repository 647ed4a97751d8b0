

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('adr', '0008_h8_list_indexes'),
        ('risks', '0006_h6_ledger_chain'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='riskacceptance',
            index=models.Index(fields=['-created_at', '-id'], name='acceptance_recent'),
        ),
    ]
