"""Failed sign-ins are listed in the admin by django-axes (Access attempts)."""
