"""What every workspace form needs from the kernel: showing a service's domain error on the form, and
every error of a form in the summary at its top."""

from collections.abc import Callable, Iterable, Mapping

from .errors import DomainError


def apply_domain_error(
    form, error: DomainError, *, rename: Mapping[str, str] | Callable[[str], str] | None = None
) -> None:
    """Show `error` on `form`: each message of `error.fields` beside the input it names, the rest at
    the top of the form (non-field errors). Services name fields by what they take (`amount_minor`,
    `guardians.0.phone`); `rename` maps those to the form's names, as a dict or a function.

    An error that names no field still says why: its message goes at the top, so a refused form
    never comes back without a word."""
    for name, messages in error.fields.items():
        if rename is not None:
            name = rename(name) if callable(rename) else rename.get(name, name)
        target = name if name in form.fields else None
        for message in [messages] if isinstance(messages, str) else messages:
            form.add_error(target, message)
    if not error.fields:
        form.add_error(None, error.message)


def error_summary(form, extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Every error on the page as (label, message) for the summary at the top of a form (each also
    shows beside its input); a non-field error has no label. `extra` adds errors the form does not
    hold (rows of a formset-like table)."""
    items = [
        (form.fields[name].label if name in form.fields else "", error)
        for name, errors in form.errors.items()
        for error in errors
    ]
    return items + list(extra)
