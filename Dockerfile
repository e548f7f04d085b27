FROM python:3.11-slim-bookworm

# WeasyPrint needs Pango; Chinese PDFs need CJK fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk curl \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Production's packages only (no test tools, no honcho), each at its locked version and hash.
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY . .
RUN DEBUG=true python manage.py collectstatic --no-input \
    && useradd --create-home crm && mkdir -p var media && chown -R crm var media
USER crm
EXPOSE 8000
# Timeouts, the request budget and the Server header: gunicorn.conf.py (README, "Limits").
CMD ["gunicorn", "crm.wsgi", "--config", "gunicorn.conf.py"]
