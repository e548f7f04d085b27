from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import print_logins


class Command(BaseCommand):
    help = "Create demo users, teams and customers. Safe to run again: nothing is duplicated."

    def handle(self, *args, **options):
        # Each app seeds its own part in a `demo` module, in INSTALLED_APPS order (complaints after claims:
        # they build on every app's demo people and customers), so crm need not know the apps built on it.
        with transaction.atomic():
            for config in apps.get_app_configs():
                module_name = f"{config.name}.demo"
                if find_spec(module_name) is not None:
                    import_module(module_name).seed(self.stdout)
        print_logins(self.stdout)
