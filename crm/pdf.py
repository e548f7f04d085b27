"""Printable documents rendered with WeasyPrint from ordinary templates.

PDF templates inline their stylesheet (templates/pdf/print.css), so rendering
never fetches anything over the network.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string


def render_pdf_bytes(template_name, context, request=None):
    from weasyprint import HTML  # heavy import: paid when a PDF is asked for, not at start-up

    return HTML(string=render_to_string(template_name, context, request=request)).write_pdf()


def render_pdf(request, template_name, context, *, filename):
    response = HttpResponse(render_pdf_bytes(template_name, context, request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
