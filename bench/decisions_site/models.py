from django.db import models


class BareRow(models.Model):
    """What the bare view writes: one row, about as wide as a consent record."""

    created_at = models.DateTimeField()
    payload = models.CharField(max_length=200)
