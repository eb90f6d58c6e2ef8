"""Configuring pipelines: a name and an ordered list of stages with win probabilities."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from customers.models import Deal, Pipeline, Stage, StageKind


class PipelineForm(forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name"]


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "win_probability", "kind"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "win_probability": forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 100}),
            "kind": forms.Select(attrs={"class": "form-select"}),
        }


class BaseStageFormSet(BaseInlineFormSet):
    """Stages in the order given; at least one open stage, exactly one won and one lost stage."""

    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        kinds = [form.cleaned_data.get("kind") for form in kept]
        if kinds.count(StageKind.OPEN) < 1:
            raise forms.ValidationError(_("Keep at least one open stage."))
        if kinds.count(StageKind.WON) != 1 or kinds.count(StageKind.LOST) != 1:
            raise forms.ValidationError(_("A pipeline needs exactly one won stage and one lost stage."))
        in_use = {form.instance.pk for form in self.forms if form.cleaned_data.get("DELETE") and form.instance.pk}
        if in_use and Deal.objects.filter(stage_id__in=in_use).exists():
            raise forms.ValidationError(_("A stage that still has deals cannot be removed; move its deals first."))


StageFormSet = inlineformset_factory(
    Pipeline,
    Stage,
    form=StageForm,
    formset=BaseStageFormSet,
    extra=2,
    can_delete=True,
    can_order=True,
    min_num=3,
    validate_min=True,
)


def stage_formset(data: Any, *, pipeline: Pipeline) -> Any:  # a StageFormSet
    stages = Stage.objects.filter(pipeline=pipeline).order_by("position") if pipeline.pk else Stage.objects.none()
    return StageFormSet(data, instance=pipeline, queryset=stages)
