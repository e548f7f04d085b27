"""Import of customers and their contacts from the customer spreadsheet (CSV or XLSX).

Upload, a dry run that checks every row and shows its errors, then the import: each good row
registered whole (customer, contacts, claim or pool) in its own transaction, each bad row
rejected and listed in a downloadable error report. Large files run on the Celery worker.

Registration belongs to the claims app, so this package (unlike the rest of crm) uses it.
"""
