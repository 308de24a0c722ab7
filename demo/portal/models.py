"""The catalogue (datasets and their CSV files), favourites, and the portal's own audience counter."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Table:
    """A CSV file read for display: its header and rows (all strings, as in the file)."""

    header: list[str]
    rows: list[list[str]]


class Theme(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment")
    MOBILITY = "mobility", _("Mobility")
    HERITAGE = "heritage", _("Heritage")


class Dataset(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_fr = models.TextField(_("description (French)"))
    description_en = models.TextField(_("description (English)"))
    theme = models.CharField(_("theme"), max_length=20, choices=Theme.choices)
    publisher = models.CharField(_("publisher"), max_length=200)
    licence = models.CharField(_("licence"), max_length=100, default="Licence Ouverte 2.0")
    csv_file = models.CharField(_("CSV file"), max_length=200, help_text=_("File name in the demo's data folder."))
    updated = models.DateField(_("last updated"))

    class Meta:
        ordering = ["title_fr"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("dataset", args=[self.slug])

    # The catalogue has two languages only, so one column per language keeps it plain; anything
    # other than French shows the English text.
    @property
    def title(self) -> str:
        return self.title_fr if (get_language() or "fr").startswith("fr") else self.title_en

    @property
    def description(self) -> str:
        return self.description_fr if (get_language() or "fr").startswith("fr") else self.description_en

    @property
    def path(self) -> Path:
        # Only a bare file name is honoured, so an admin typo cannot point outside the data folder.
        return Path(settings.DATA_DIR) / Path(self.csv_file).name

    @cached_property
    def table(self) -> Table:
        with self.path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            return Table(header=header, rows=[row for row in reader if row])


class Favourite(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="favourites")
    created = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "dataset"], name="one_favourite_per_dataset")]
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")

    def __str__(self) -> str:
        return f"{self.user} ★ {self.dataset}"


class DailyHit(models.Model):
    """Page views counted per day and path: no IP address, no user agent, no visitor id."""

    day = models.DateField(_("day"))
    path = models.CharField(_("path"), max_length=200)
    count = models.PositiveIntegerField(_("page views"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "path"], name="one_counter_per_day_and_path")]
        ordering = ["-day", "-count"]
        verbose_name = _("page views of a day")
        verbose_name_plural = _("audience (page views per day)")

    def __str__(self) -> str:
        return f"{self.day} {self.path}: {self.count}"
