"""The catalogue the demo starts with: four datasets whose CSV files live in demo/data/."""

import datetime

from django.db import migrations

CATALOGUE = [
    {
        "slug": "arbres-remarquables",
        "title_fr": "Arbres remarquables",
        "title_en": "Remarkable trees",
        "description_fr": (
            "Les arbres remarquables des parcs, places et cours de la ville : espèce, hauteur, "
            "circonférence du tronc à 1 m du sol, année de plantation estimée et position."
        ),
        "description_en": (
            "The remarkable trees of the city's parks, squares and avenues: species, height, trunk "
            "girth one metre above the ground, estimated planting year and position."
        ),
        "theme": "environment",
        "publisher": "Direction des espaces verts",
        "csv_file": "arbres-remarquables.csv",
        "updated": datetime.date(2026, 10, 14),
    },
    {
        "slug": "bornes-recharge",
        "title_fr": "Bornes de recharge pour véhicules électriques",
        "title_en": "Electric vehicle charging points",
        "description_fr": (
            "Les stations de recharge publiques : puissance, nombre de points de charge, type de prise, "
            "conditions d'accès et position."
        ),
        "description_en": (
            "Public charging stations: power, number of charging points, plug type, access conditions and position."
        ),
        "theme": "mobility",
        "publisher": "Direction de la mobilité",
        "csv_file": "bornes-recharge.csv",
        "updated": datetime.date(2026, 11, 3),
    },
    {
        "slug": "parkings",
        "title_fr": "Parkings publics",
        "title_en": "Public car parks",
        "description_fr": (
            "Les parkings en ouvrage et parcs relais : capacité, places réservées aux personnes à "
            "mobilité réduite, stationnement vélo, tarif horaire et horaires d'ouverture."
        ),
        "description_en": (
            "Multi-storey car parks and park-and-ride sites: capacity, spaces reserved for people with "
            "reduced mobility, bicycle parking, hourly rate and opening hours."
        ),
        "theme": "mobility",
        "publisher": "Direction de la mobilité",
        "csv_file": "parkings.csv",
        "updated": datetime.date(2026, 9, 22),
    },
    {
        "slug": "fontaines",
        "title_fr": "Fontaines de la ville",
        "title_en": "The city's fountains",
        "description_fr": (
            "Les fontaines publiques, des plus anciennes aux plus récentes : quartier, époque de "
            "construction, eau potable ou non, et position."
        ),
        "description_en": (
            "Public fountains, from the oldest to the newest: district, period of construction, "
            "whether the water is drinkable, and position."
        ),
        "theme": "heritage",
        "publisher": "Direction du patrimoine",
        "csv_file": "fontaines.csv",
        "updated": datetime.date(2026, 8, 30),
    },
]


def add_catalogue(apps, schema_editor):
    Dataset = apps.get_model("portal", "Dataset")
    for entry in CATALOGUE:
        Dataset.objects.update_or_create(slug=entry["slug"], defaults=entry)


def remove_catalogue(apps, schema_editor):
    apps.get_model("portal", "Dataset").objects.filter(slug__in=[e["slug"] for e in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(add_catalogue, remove_catalogue)]
