"""Fee set-up pages under /s/<slug>/fees/setup/: fee items, schedules per term, sibling discounts,
due dates. Anyone with fees.view reads them; fees.manage changes them. Writes go through fees.services
(creation) and fees.setup (the rest). One module per page family; fees/urls.py routes to them."""
