"""People are Django's users and groups (see roles.py); failed sign-ins are django-axes' tables."""
