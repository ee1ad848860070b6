from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def with_known_count(count):
    """A Django paginator class for a list whose length the view already knows (from an aggregate it
    needs anyway), so paging does not run a second COUNT over the same rows."""
    from django.core.paginator import Paginator
    from django.utils.functional import cached_property

    class CountedPaginator(Paginator):
        @cached_property
        def count(self):
            return count

    return CountedPaginator
