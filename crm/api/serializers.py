from rest_framework import serializers


class Output(serializers.ModelSerializer):
    """A record as the API shows it (its `read_only_fields` are all its fields). A field that may be empty says so:
    DRF drops `allow_blank` from read-only fields, and the schema would then refuse the empty string it sends."""

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank:
            kwargs["allow_blank"] = True
        return kwargs
