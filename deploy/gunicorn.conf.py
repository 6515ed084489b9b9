"""gunicorn settings for callbot's web app: `gunicorn -c deploy/gunicorn.conf.py 'web:create_app()'`.

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS. See docs/deployment.md.
"""

import os

bind = os.environ.get("CALLBOT_BIND", "127.0.0.1:8000")  # behind the HTTPS proxy; never exposed directly
workers = int(os.environ.get("CALLBOT_WEB_WORKERS", "2"))
threads = int(os.environ.get("CALLBOT_WEB_THREADS", "4"))  # webhooks wait on the database more than on the CPU
timeout = 30
graceful_timeout = 20
# The access log shows the path without its query string (%(U)s): a search for a phone number stays out of it.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
# gunicorn itself believes X-Forwarded-* from these addresses only; callbot rebuilds the public URL with ProxyFix
# (CALLBOT_TRUSTED_PROXIES), which Twilio's signatures need.
forwarded_allow_ips = "127.0.0.1,::1"


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """Multiprocess metrics: drop a dead worker's live gauges (prometheus_client's documented hook)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
