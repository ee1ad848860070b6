"""Results: set-up (subjects, teachers, components, grade scales), score grids, report cards and
publishing. The arithmetic lives once, in compute.py."""
