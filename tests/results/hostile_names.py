"""Text that must stay text in every page: a student's name and a cell's error with markup in them."""

HOSTILE_NAME = "<script>alert('x')</script> O'Brien & <b>Co</b>"
HOSTILE_ERROR = "<img src=x onerror=alert(1)>"
