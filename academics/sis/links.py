"""The SIS's ids of a school's rows (SisLink), read once per run and kept in step as the run writes.

A link is unique both ways (one row per SIS id, one SIS id per row, per adapter and kind), so
pointing an id at another row, or another id at a row, moves the existing link instead of adding a
second one: a pupil the SIS re-keys (a new enrollment record when they change class, a contact whose
email changed) keeps one row here. New links are inserted together at the end of each step.
"""

from ..models import SisLink


class Links:
    def __init__(self, *, school, adapter):
        self.school, self.adapter = school, adapter
        self.by_external = {kind: {} for kind in SisLink.Kind.values}
        self.by_local = {kind: {} for kind in SisLink.Kind.values}
        rows = SisLink.objects.for_school(school).filter(adapter=adapter)
        for link in rows.only("id", "kind", "external_id", "local_id"):
            self.by_external[link.kind][link.external_id] = link
            self.by_local[link.kind][link.local_id] = link
        self._new = []

    def local_id(self, kind, external_id):
        link = self.by_external[kind].get(external_id)
        return link.local_id if link else None

    def external_id(self, kind, local_id):
        link = self.by_local[kind].get(local_id)
        return link.external_id if link else None

    def external_ids(self, kind):
        return list(self.by_external[kind])

    def link(self, kind, external_id, local_id):
        """Tie `external_id` to the row `local_id`, moving whichever link held either of them."""
        held = self.by_external[kind].get(external_id)
        if held is not None and held.local_id == local_id:
            return
        other = self.by_local[kind].get(local_id)
        if held is None and other is not None:
            # The row is known under an id the SIS no longer uses: take the new id over.
            del self.by_external[kind][other.external_id]
            other.external_id = external_id
            self._save(other, "external_id")
            self.by_external[kind][external_id] = other
            return
        if other is not None:
            self.forget(kind, other)
        if held is not None:
            del self.by_local[kind][held.local_id]
            held.local_id = local_id
            self._save(held, "local_id")
            self.by_local[kind][local_id] = held
            return
        link = SisLink(school=self.school, adapter=self.adapter, kind=kind, external_id=external_id, local_id=local_id)
        self._new.append(link)
        self.by_external[kind][external_id] = link
        self.by_local[kind][local_id] = link

    def forget(self, kind, link):
        self.by_external[kind].pop(link.external_id, None)
        self.by_local[kind].pop(link.local_id, None)
        if link.pk:
            SisLink.objects.for_school(self.school).filter(pk=link.pk).delete()
        elif link in self._new:
            self._new.remove(link)

    def _save(self, link, field):
        if link.pk:
            link.save(update_fields=[field, "updated_at"])

    def flush(self):
        """Insert the links made since the last flush."""
        if self._new:
            SisLink.objects.bulk_create(self._new, batch_size=1000)
            self._new = []
