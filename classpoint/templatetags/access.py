"""`{% load access %}`: pages ask what the member may do the way views do, through `Membership.has_perm`."""

from django import template

from classpoint.tenancy import membership_model

register = template.Library()


@register.filter
def can(membership, code):
    """`{% if membership|can:"fees.view" %}`: no for a page rendered outside a school (no membership).

    Deferring to `has_perm` keeps a link and the view it leads to answering the same question the same
    way. Only a membership answers: a user's own `has_perm` is Django's site-wide system, which knows
    nothing of the member's role at this school."""
    return isinstance(membership, membership_model()) and membership.has_perm(code)
