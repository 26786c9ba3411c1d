from __future__ import annotations

import re

from django import forms

from flowdash.gallery.models import Collection

_TAG = re.compile(r"^[\w][\w .+#-]*$", re.UNICODE)


class TagForm(forms.Form):
    name = forms.CharField(
        label="Tag",
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": "e.g. hero shot", "autocomplete": "off"}),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split()).lower()
        if not _TAG.match(name):
            raise forms.ValidationError(
                "Use letters, digits, spaces and - _ . + # (starting with a letter or digit)."
            )
        return name


class CollectionForm(forms.ModelForm):
    class Meta:
        model = Collection
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"name": "Name", "description": "Description"}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the collection a name.")
        return name


class AddToCollectionForm(forms.Form):
    collection = forms.ModelChoiceField(
        queryset=Collection.objects.order_by("name"),
        required=False,
        empty_label="Choose a collection…",
        label="Collection",
    )
    new_name = forms.CharField(max_length=120, required=False, label="…or a new collection named")

    def clean(self):
        data = super().clean()
        new_name = " ".join((data.get("new_name") or "").split())
        data["new_name"] = new_name
        if not data.get("collection") and not new_name:
            raise forms.ValidationError("Choose a collection or name a new one.")
        return data
