"""Run the same code in several threads at once, each with its own database connection."""

import threading

from django.db import connection


def run_at_once(function, *, threads=2):
    """Start `threads` calls of `function` together (a barrier); return their results and errors."""
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(function())
        except Exception as error:  # noqa: BLE001 - handed back to the test
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, errors
