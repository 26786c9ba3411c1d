"""Media.favourited_by gets a model of its own (Favourite) on the same table, and each row
keeps its item's created_at, indexed for reading someone's favourites newest first.

The relation's table already exists, so the model and the relation's new ``through`` are
changes of Django's state only; the column is then added, filled from the items, made
required and indexed.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_created_at(apps, schema_editor):
    Favourite = apps.get_model("gallery", "Favourite")
    Media = apps.get_model("gallery", "Media")
    db = schema_editor.connection.alias
    moment = Media.objects.using(db).filter(pk=OuterRef("media_id")).values("created_at")[:1]
    Favourite.objects.using(db).filter(media_created_at__isnull=True).update(
        media_created_at=Subquery(moment)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0008_shown_by_id_covering_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Favourite",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "media",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="favourite_rows",
                                to="gallery.media",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "gallery_media_favourited_by",
                        "unique_together": {("media", "user")},
                    },
                ),
                migrations.AlterField(
                    model_name="media",
                    name="favourited_by",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="favourite_media",
                        through="gallery.Favourite",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="favourite",
            name="media_created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(fill_created_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="favourite",
            name="media_created_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="favourite",
            index=models.Index(
                fields=["user", "-media_created_at", "-media"], name="favourite_newest"
            ),
        ),
    ]
