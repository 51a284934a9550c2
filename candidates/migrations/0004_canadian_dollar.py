from django.db import migrations


def add_cad(apps, schema_editor):
    Currency = apps.get_model("candidates", "Currency")
    Currency.objects.get_or_create(code="CAD", defaults={"name": "Canadian dollar"})


class Migration(migrations.Migration):
    """Toronto's currency: every zone's currency can be chosen for an offer."""

    dependencies = [("candidates", "0003_company_offerings")]

    operations = [migrations.RunPython(add_cad, migrations.RunPython.noop)]
