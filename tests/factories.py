import factory
from django.urls import reverse

from accounts.models import Role, Team, User

PASSWORD = "pass-for-tests-1"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.REP
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Customer"

    name = factory.Sequence(lambda n: f"青岛测试{n}号机械有限公司")
    city = "青岛市"
    region = "山东省"
    phones = factory.Sequence(lambda n: f"0532-8{n:07d}")
    owner = None


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Contact"

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    buying_role = "user"


def log_in(client, username, password=PASSWORD) -> bool:
    """Log in through the login form, as a person does (and as the login throttle sees it)."""
    client.logout()
    client.post(reverse("accounts:login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session
