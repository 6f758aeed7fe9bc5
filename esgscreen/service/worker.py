"""The monitoring worker: version jobs and webhook deliveries, claimed with leases.

Several workers (processes, hosts) may run on one database: each row is claimed by one of
them for ``lease`` seconds (see ``store.monitoring``). A worker killed mid-job or
mid-delivery leaves its claim to run out; the next worker then takes the row up again and a
delivery goes out with the same ``webhook-id``, so receivers can drop the duplicate.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid

from esgscreen.service import monitoring
from esgscreen.service.monitoring import Monitor
from esgscreen.store import monitoring as rows

log = logging.getLogger("esgscreen.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, monitor: Monitor, name: str | None = None,
                 poll_interval: float = 0.5) -> None:
        self.monitor = monitor
        self.name = name or worker_name()
        self.poll_interval = poll_interval

    def _lease_end(self):
        return monitoring.now_plus(self.monitor.settings.worker_lease)

    def run_job(self) -> bool:
        """Claim and do one version job; False when none is waiting."""
        store = self.monitor.store
        now = monitoring.now_plus(0)
        with store.write(serialise=False) as session:
            job = rows.claim_job(session, self.name, self._lease_end(), now)
            if job is None:
                return False
            job_id, version = job.id, job.version

        def keep_alive() -> bool:
            with store.write(serialise=False) as session:
                return rows.extend_job(session, job_id, self.name, self._lease_end())

        try:
            events = monitoring.process_version(self.monitor, version, keep_alive)
        except Exception as error:
            log.error("version %s: %s", version, traceback.format_exc())
            with store.write(serialise=False) as session:
                rows.fail_job(session, job_id, f"{type(error).__name__}: {error}",
                              monitoring.now_plus(min(self.monitor.settings.worker_lease, 30)))
            return True
        if keep_alive():
            with store.write(serialise=False) as session:
                rows.finish_job(session, job_id, monitoring.now_plus(0))
            log.info("version %s processed: %s event(s)", version, events)
        return True

    def run_delivery(self) -> bool:
        """Claim and send one due delivery; False when none is due."""
        now = monitoring.now_plus(0)
        with self.monitor.store.write(serialise=False) as session:
            delivery = rows.claim_delivery(session, self.name, self._lease_end(), now)
            if delivery is None:
                return False
            delivery_id = delivery.id
        attempt = monitoring.deliver(self.monitor, delivery_id, self.name)
        if attempt is not None:
            log.info("delivery %s: %s", delivery_id,
                     "delivered" if attempt.delivered else attempt.error)
        return True

    def run_once(self) -> bool:
        """One round: every waiting job, then every due delivery. True if it did anything."""
        did = False
        while self.run_job():
            did = True
        while self.run_delivery():
            did = True
        return did

    def run(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.name)
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.error("worker round failed: %s", traceback.format_exc())
                busy = False
            if not busy:
                stop.wait(self.poll_interval)
        log.info("worker %s stopped", self.name)
