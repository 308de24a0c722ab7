"""A URLconf that forgot the package's URLs (test_adoption_mistakes)."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
