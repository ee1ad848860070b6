from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registrar", "0004_plural_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="language",
            field=models.CharField(blank=True, default="", max_length=8),
        ),
    ]
