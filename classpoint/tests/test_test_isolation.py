"""The suite's own promises to each test: nothing one test stores is seen by the next."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_starts_with_empty_file_storage(turn):
    # given: whatever an earlier test stored at the same name (ids are reused on SQLite)
    name = "applications/1/left-behind.txt"

    # then: this test does not see it
    assert not default_storage.exists(name)

    # when: this test stores a file there
    default_storage.save(name, ContentFile(turn.encode()))
    assert default_storage.exists(name)
