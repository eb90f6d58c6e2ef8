from tests.mail.conftest import eager_tasks  # noqa: F401  (privacy requests run in-process in these tests)
