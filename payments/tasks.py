from . import services


def abandon_stale_intents():
    return services.intents_abandon_stale()
