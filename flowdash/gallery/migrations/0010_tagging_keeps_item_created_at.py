"""Media.tags gets a model of its own (Tagging) on the same table, and each row keeps its
item's created_at, indexed for reading one tag's items newest first (as 0009 did for
favourites).

The relation's table already exists, so the model and the relation's new ``through`` are
changes of Django's state only; the column is then added, filled from the items, made
required and indexed.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_created_at(apps, schema_editor):
    Tagging = apps.get_model("gallery", "Tagging")
    Media = apps.get_model("gallery", "Media")
    db = schema_editor.connection.alias
    moment = Media.objects.using(db).filter(pk=OuterRef("media_id")).values("created_at")[:1]
    Tagging.objects.using(db).filter(media_created_at__isnull=True).update(
        media_created_at=Subquery(moment)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0009_favourite_keeps_item_created_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Tagging",
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
                                related_name="tagging_rows",
                                to="gallery.media",
                            ),
                        ),
                        (
                            "tag",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="gallery.tag",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "gallery_media_tags",
                        "unique_together": {("media", "tag")},
                    },
                ),
                migrations.AlterField(
                    model_name="media",
                    name="tags",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="media",
                        through="gallery.Tagging",
                        to="gallery.tag",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="tagging",
            name="media_created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(fill_created_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tagging",
            name="media_created_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="tagging",
            index=models.Index(fields=["tag", "-media_created_at", "-media"], name="tagging_newest"),
        ),
    ]
