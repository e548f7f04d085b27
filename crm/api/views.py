"""What every resource view shares: open to the API's own authentication (not the pages' login redirect), the
pages' forms as the one place of the input rules, and the pages' FilterSets for list filters."""

from django.contrib.auth.decorators import login_not_required
from django.forms.models import model_to_dict
from rest_framework import exceptions, generics


class ApiView:
    """Mixed into every API view: the API answers 401 or 403 itself instead of the pages' redirect to the login."""

    @classmethod
    def as_view(cls, **initkwargs):
        return login_not_required(super().as_view(**initkwargs))


class Visible:
    """Rows the caller may see: `visible()` gives them (`model` stands in while the schema is drawn)."""

    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a request's user or arguments
            return self.model.objects.none()
        return self.visible()


class ListView(Visible, ApiView, generics.ListAPIView):
    pass


class ListCreateView(Visible, ApiView, generics.ListCreateAPIView):
    pass


class DetailView(Visible, ApiView, generics.RetrieveAPIView):
    pass


def form_cleaned(form) -> dict:
    """The cleaned data of the page's own form, or a 400 with its errors by field: the API's input obeys the
    rules the page's form does (required fields, formats, dates not in the future...), written once, there.
    Serializers describe the shape for the schema; the form decides what is valid."""
    if not form.is_valid():
        raise exceptions.ValidationError(
            {("non_field_errors" if field == "__all__" else field): messages for field, messages in form.errors.items()}
        )
    return form.cleaned_data


def form_data(typed: dict, instance=None, fields=()) -> dict:
    """What was typed (a serializer's validated data) over the instance's values (a new one's: the model's
    defaults, which the page's form shows filled in), as a form's data: booleans only when true (a checkbox)."""
    data = {}
    for name, value in {**(model_to_dict(instance, fields=fields) if instance is not None else {}), **typed}.items():
        if value is None or value is False:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        else:
            data[name] = "on" if value is True else str(value)
    return data
