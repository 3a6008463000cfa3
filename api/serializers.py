"""Response shapes of the demo routes, for the OpenAPI schema only (views build dicts)."""
from rest_framework import serializers


class Message(serializers.Serializer):
    message = serializers.CharField()


class PublicMessage(Message):
    timestamp = serializers.DateTimeField(help_text="ISO 8601, UTC")


class PrivateMessage(PublicMessage):
    user = serializers.CharField(help_text="the token's 'sub'")


class ScopedMessage(PrivateMessage):
    scope = serializers.CharField(required=False,
                                  help_text="the token's 'scope' claim as sent (absent if none)")


class Item(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class Messages(serializers.Serializer):
    messages = Item(many=True)


class AdminMessage(Message):
    userId = serializers.CharField(help_text="the token's 'sub'")  # noqa: N815 (the quickstart's key)


class Feed(Message):
    personalizedContent = serializers.BooleanField()  # noqa: N815 (the quickstart's key)
