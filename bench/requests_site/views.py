from django.conf import settings
from django.shortcuts import render

DATASETS = [
    {"title": f"Jeu de données n° {i}", "records": i * 137, "theme": ("Transports", "Culture", "Environnement")[i % 3]}
    for i in range(1, 21)
]


def page(request):
    # A session read (a returning visitor's cart or login), as most pages do.
    basket = request.session.get("basket", [])
    return render(
        request,
        # The in-process measurement runs every variant in one process and names the template on
        # the request; a server runs one variant, named by the settings.
        getattr(request, "bench_template", settings.PAGE_TEMPLATE),
        {"datasets": DATASETS, "basket": basket},
    )
