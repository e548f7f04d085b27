from django import forms
from django.utils.translation import gettext_lazy as _

from .parsing import MAX_UPLOAD_BYTES


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        help_text=_("The first row holds the column titles, as in the template."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB: split it into several files."),
                params={"size": MAX_UPLOAD_BYTES >> 20},
            )
        return upload
