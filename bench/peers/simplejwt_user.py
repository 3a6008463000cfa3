"""simplejwt's stateless ``TokenUser`` with the ``sub`` the demo API's views read
(``SIMPLE_JWT["TOKEN_USER_CLASS"]``, imported by simplejwt once Django is set up)."""
from rest_framework_simplejwt.models import TokenUser


class SimpleJWTUser(TokenUser):
    @property
    def sub(self):
        return self.token["sub"]
