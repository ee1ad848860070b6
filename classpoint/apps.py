from django.apps import AppConfig


class ClasspointConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "classpoint"
    verbose_name = "Platform"

    def ready(self):
        # Collectors and signal receivers register on import; replica's request signals must be
        # connected before a process serves its first request, or that request would not pin its user.
        from . import metrics, replica, signals  # noqa: F401
        from .outbox.registry import autodiscover_handlers

        autodiscover_handlers()
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_schedules_once, sender=self, dispatch_uid="classpoint-schedules")
        _carry_request_ids_into_tasks()
        from .worker_metrics import maybe_serve

        maybe_serve()  # a task cluster's master only, before it forks its workers


def _carry_request_ids_into_tasks():
    # Signals rather than a wrapper around async_task: every call site, django-q2's scheduler
    # included, queues through async_task, which sends pre_enqueue (in sync mode too).
    from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute

    from .logs import enter_task, leave_task, tag_task

    pre_enqueue.connect(tag_task, dispatch_uid="classpoint-task-request-id")
    pre_execute.connect(enter_task, dispatch_uid="classpoint-task-request-id")
    post_execute_in_worker.connect(leave_task, dispatch_uid="classpoint-task-request-id")


def _ensure_schedules_once(sender, **kwargs):
    from .schedules import ensure_schedules

    ensure_schedules()
