"""Small charters written by tests of the charter page, checks and Django's own cookies."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo" / "charter.toml"
SEED = ROOT / "demo" / "charter-seed.toml"

#: The four seed rows: (name, French service, English service, French purpose, French lifetime).
SEED_ROWS = [
    ("sessionid", "Authentification (front et back office)", "Authentication (front and back office)",
     "Se souvenir de l'utilisateur d'une page à une autre.", "2 semaines"),
    ("django_language", "Sélection de la langue (front et back office)", "Language selection (front and back office)",
     "Se souvenir de la langue du visiteur", "Session"),
    ("csrftoken", "API (CSRF) (front et back office)", "API (CSRF) (front and back office)",
     "Récupérer des données via des appels API", "52 semaines"),
    ("cookies_preferences", "Choix concernant vos préférences sur les cookies", "Your choices about cookies",
     "Se souvenir du choix opéré par le visiteur concernant les cookies", "6 mois"),
]  # fmt: skip

HEAD = """
[charter]
edition = "test-1"
languages = {languages}

[controller]
name = "Commune de Test"
contact = "dpo@test.example"
"""

NECESSARY = """
[purposes.basics]
exemption = "strictly-necessary"
title.fr = "Indispensables"
title.en = "Essentials"
description.fr = "Pour que le site marche."
description.en = "So that the site works."

[[cookies]]
name = "cart"
provider = "Commune de Test"
purpose = "basics"
service.fr = "Panier"
service.en = "Basket"
description.fr = "Garder le panier."
description.en = "Keep the basket."
lifetime = "1 day"
reason.fr = "Le panier est demandé par le visiteur."
reason.en = "The visitor asked for a basket."
"""

STATISTICS = """
[purposes.statistics]
title.fr = "Statistiques"
title.en = "Statistics"
description.fr = "Compter les visites."
description.en = "Count visits."

[[cookies]]
name = "stats_id"
provider = "Commune de Test"
purpose = "statistics"
service.fr = "Mesure d'audience"
service.en = "Audience measurement"
description.fr = "Identifiant aléatoire."
description.en = "A random identifier."
lifetime = "13 months"
"""


def language_cookie(name: str, lifetime: str) -> str:
    """A ``[[cookies]]`` block declaring a language cookie under ``NECESSARY``'s purpose."""
    return f"""
[[cookies]]
name = "{name}"
provider = "Commune de Test"
purpose = "basics"
service.fr = "Langue"
service.en = "Language"
description.fr = "La langue."
description.en = "The language."
lifetime = "{lifetime}"
reason.fr = "Choix du visiteur."
reason.en = "The visitor's choice."
"""


def write_charter(directory: Path, *parts: str, languages: str = '["fr", "en"]', name: str = "charter.toml") -> Path:
    """A charter file made of ``HEAD`` and the given sections (``NECESSARY``, ``STATISTICS``...)."""
    path = directory / name
    path.write_text(HEAD.format(languages=languages) + "".join(parts), encoding="utf-8")
    return path
