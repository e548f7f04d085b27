"""The existing contacts' search keys: name pinyin and initials, and their phone numbers normalized."""

from django.db import migrations

from crm.normalize import person_name_keys, split_phones

BATCH = 2000


def backfill(apps, schema_editor):
    Contact = apps.get_model("crm", "Contact")
    ContactPhone = apps.get_model("crm", "ContactPhone")
    batch = []
    for contact in Contact.objects.only("name", "phones").order_by("pk").iterator(chunk_size=BATCH):
        contact.name_pinyin, contact.name_initials = person_name_keys(contact.name)
        batch.append(contact)
        if len(batch) == BATCH:
            save(Contact, ContactPhone, batch)
            batch = []
    save(Contact, ContactPhone, batch)


def save(Contact, ContactPhone, contacts):
    Contact.objects.bulk_update(contacts, ["name_pinyin", "name_initials"])
    ContactPhone.objects.bulk_create(
        [ContactPhone(contact=contact, number=number) for contact in contacts for number in split_phones(contact.phones)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0023_contact_search_keys_and_recent_customers")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
