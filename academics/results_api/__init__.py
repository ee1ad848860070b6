"""The results API: set-up, scores, report cards and publishing, one module each."""
