"""What the fees API modules share."""

from rest_framework import serializers


def in_school(queryset, pk, field):
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if pk is not None and obj is None:
        raise serializers.ValidationError({field: ["Not found in this school."]})
    return obj
