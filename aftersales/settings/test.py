"""Test settings: only overrides of base."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
# A bare ``pytest`` (without the launcher) may still start the embedded servers.
os.environ.setdefault("AFTERSALES_EMBEDDED", "true")

from .base import *

DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if os.environ.get("AFTERSALES_TEST_MAIL_DIR"):
    # Worker processes started by tests write each mail to a file there, so the test can count them.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["AFTERSALES_TEST_MAIL_DIR"]
CACHES["default"]["KEY_PREFIX"] = "aftersales-test"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
MEDIA_ROOT = BASE_DIR / ".data" / "test-media"
