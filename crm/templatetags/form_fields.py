"""`{% load form_fields %}`: `form|fields_key`, what a form's fields render from, for `{% cache %}` to keep them.

The customer list's filter fields took 14 of its 35 ms at 100,000 customers (crispy-forms renders each field
through a dozen templates, each option of a select through one more), and the board's seven fields as much, on
every request, though they render the same for everyone who sees the same language, input and choices. Kept in
the "template_fragments" cache (per process), they are rendered once for each such case.
"""

import hashlib

from django import template
from django.forms import ModelChoiceField
from django.utils.translation import get_language

register = template.Library()


@register.filter
def fields_key(form, leave_out: str = "") -> str:
    """A digest of everything `form`'s fields render from: the language, the data given for each field (and so
    its errors), and the choices of each field that reads them from the database. `leave_out` names fields
    (space-separated) the kept fragment does not render, such as a search box whose text would make every
    search a miss.

    Those choices are read here (one query each, as the field's widget would) and handed to its widget, so that
    rendering the fields after a miss does not read them again: the page's statements stay the same."""
    parts = [get_language() or "", form.is_bound]
    left_out = set(leave_out.split())
    for name, field in form.fields.items():
        if name in left_out:
            continue
        if isinstance(field, ModelChoiceField):
            field.widget.choices = [(str(value), str(label)) for value, label in field.choices]
            parts.append(field.widget.choices)
        if form.is_bound:
            key = form.add_prefix(name)
            parts.append(form.data.getlist(key) if hasattr(form.data, "getlist") else form.data.get(key))
    return hashlib.sha256(repr(parts).encode()).hexdigest()
