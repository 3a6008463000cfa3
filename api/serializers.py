"""Response shapes of the demo routes, for the OpenAPI schema only (views build dicts)."""
from rest_framework import serializers


class PublicMessage(serializers.Serializer):
    message = serializers.CharField()
    timestamp = serializers.DateTimeField(help_text="ISO 8601, UTC")


class PrincipalMessage(PublicMessage):
    user = serializers.CharField(help_text="the token's 'sub'")
    scope = serializers.CharField(help_text="the token's scopes, space-separated, sorted")


class Message(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class Messages(PrincipalMessage):
    messages = Message(many=True)


class OrganizationMessage(PrincipalMessage):
    org_id = serializers.CharField()


class Feed(PublicMessage):
    personalized = serializers.BooleanField()
    user = serializers.CharField(required=False, help_text="only with a token")
    scope = serializers.CharField(required=False, help_text="only with a token")
