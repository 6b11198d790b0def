"""gunicorn settings for serving Hài Lòng (`make run`, bench/load_submit.py): `-c python:survey.gunicorn_conf`.

Threads, because a kiosk's submission waits for the group commit that holds it (see
survey/services/respond/batch.py) and the waiting threads' submissions are what fills the next batch;
two processes per core, because each process's Python code runs on one core at a time.
Measured on the 2-core machine (bench/load_submit.py, 100 kiosks): 4 × 16 took about 1.5× the
submissions of 2 × 8. Environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS.
"""
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
keepalive = 5  # seconds: a kiosk posting again soon reuses its connection; idle ones are let go
