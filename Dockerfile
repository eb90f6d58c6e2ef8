# Image for the full stack (web, worker, beat); see docker-compose.yml.
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY Makefile ./
RUN mkdir -p static && make assets

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
COPY --from=assets /app/static/vendor ./static/vendor
RUN DEBUG=true DATABASE_URL=postgres://x@localhost/x DATABASE_OWNER_URL=postgres://y@localhost/x \
    python manage.py collectstatic --noinput
RUN useradd --create-home crm && chown -R crm /app
USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
