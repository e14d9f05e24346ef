"""vigil_client against a real server: VIGIL_TEST_URL, VIGIL_TEST_API_KEY, VIGIL_TEST_PING_KEY.

Run by test/clients/python.test.ts, which starts the server; the unreachable-server tests need none.
"""

import json
import os
import socket
import time
import unittest
import urllib.request
import uuid

from vigil_client import Vigil

URL = os.environ.get("VIGIL_TEST_URL")
API_KEY = os.environ.get("VIGIL_TEST_API_KEY")
PING_KEY = os.environ.get("VIGIL_TEST_PING_KEY")


def api(path):
    request = urllib.request.Request(URL + "/api/v1" + path, headers={"Authorization": "Bearer " + API_KEY})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def pings(check_id):
    return api("/checks/%s/pings" % check_id)["pings"]


def unique(name):
    return "py/%s-%s" % (name, uuid.uuid4().hex[:8])


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@unittest.skipUnless(URL and API_KEY and PING_KEY, "set VIGIL_TEST_URL, VIGIL_TEST_API_KEY, VIGIL_TEST_PING_KEY")
class AgainstServer(unittest.TestCase):
    def setUp(self):
        self.vigil = Vigil(URL, api_key=API_KEY, ping_key=PING_KEY)

    def register(self, name):
        slug = unique(name)
        [check] = self.vigil.register({"slug": slug, "schedule": {"kind": "interval", "period": 3600}})
        return slug, check["id"]

    def test_register_is_idempotent_by_slug(self):
        slug = unique("register")
        first = self.vigil.register([{"slug": slug, "name": "Backup"}])
        second = self.vigil.register([{"slug": slug, "name": "Backup", "tags": ["nightly"]}])
        self.assertEqual(first[0]["id"], second[0]["id"])
        self.assertEqual(second[0]["tags"], ["nightly"])

    def test_register_logs_and_skips_a_rejected_check(self):
        with self.assertLogs("vigil", "WARNING") as logs:
            stored = self.vigil.register([{"slug": unique("bad"), "schedule": {"kind": "interval", "period": 0}}])
        self.assertEqual(stored, [])
        self.assertIn("400", logs.output[0])

    def test_ping_by_uuid_with_a_message(self):
        _, check_id = self.register("uuid")
        self.assertTrue(Vigil(URL).ping(check_id, message="hello"))
        self.assertEqual([(p["kind"], p["body"]) for p in pings(check_id)], [("success", "hello")])

    def test_ping_by_slug_through_the_ping_key(self):
        slug, check_id = self.register("slug")
        self.assertTrue(Vigil(URL, ping_key=PING_KEY).fail(slug, message="bad"))
        self.assertEqual(pings(check_id)[0]["kind"], "fail")

    def test_ping_by_slug_through_the_api_key(self):
        slug, check_id = self.register("lookup")
        self.assertTrue(Vigil(URL, api_key=API_KEY).exit_code(slug, 4))
        self.assertEqual(pings(check_id)[0]["exit_status"], 4)

    def test_monitor_as_a_decorator_records_the_duration(self):
        slug, check_id = self.register("decorator")

        @self.vigil.monitor(slug)
        def job(x):
            time.sleep(0.05)
            return x * 2

        self.assertEqual(job(21), 42)
        end, start = pings(check_id)
        self.assertEqual((start["kind"], end["kind"]), ("start", "success"))
        self.assertEqual(end["rid"], start["rid"])
        self.assertGreaterEqual(end["duration_ms"], 40)

    def test_monitor_as_a_context_manager_reports_and_reraises(self):
        slug, check_id = self.register("context")
        with self.assertRaises(ValueError):
            with self.vigil.monitor(slug):
                raise ValueError("disk full")
        end, start = pings(check_id)
        self.assertEqual(end["kind"], "fail")
        self.assertEqual(end["rid"], start["rid"])
        self.assertTrue(end["body"].startswith("ValueError: disk full"), end["body"])

    def test_heartbeat_pings_until_stopped(self):
        _, check_id = self.register("heartbeat")
        beat = self.vigil.heartbeat(check_id, every=0.05, status=lambda: "ok")
        deadline = time.time() + 10
        while len(pings(check_id)) < 2 and time.time() < deadline:
            time.sleep(0.05)
        beat.stop()
        count = len(pings(check_id))
        self.assertGreaterEqual(count, 2)
        time.sleep(0.25)
        self.assertEqual(len(pings(check_id)), count)

    def test_heartbeat_fails_when_status_raises(self):
        _, check_id = self.register("heartbeat-fail")

        def status():
            raise RuntimeError("queue stuck")

        beat = self.vigil.heartbeat(check_id, every=60, status=status)
        deadline = time.time() + 10
        while not pings(check_id) and time.time() < deadline:
            time.sleep(0.05)
        beat.stop()
        self.assertEqual(pings(check_id)[0]["kind"], "fail")
        self.assertIn("RuntimeError: queue stuck", pings(check_id)[0]["body"])


class Unreachable(unittest.TestCase):
    def setUp(self):
        self.vigil = Vigil("http://127.0.0.1:%d" % closed_port(), ping_key="pk", retries=1, timeout=2)

    def test_ping_logs_instead_of_raising(self):
        with self.assertLogs("vigil", "WARNING") as logs:
            self.assertFalse(self.vigil.ping("job"))
        self.assertIn("ping job (success) failed", logs.output[0])
        self.assertIn("(2 tries)", logs.output[0])

    def test_monitor_still_runs_the_job_and_passes_its_exception(self):
        with self.assertLogs("vigil", "WARNING"):
            self.assertEqual(self.vigil.monitor("job")(lambda: "ran")(), "ran")
            with self.assertRaises(KeyError):
                with self.vigil.monitor("job"):
                    raise KeyError("x")

    def test_register_without_a_server_returns_nothing(self):
        with self.assertLogs("vigil", "WARNING"):
            self.assertEqual(Vigil(self.vigil.url, api_key="vgl_x", retries=0).register({"slug": "a"}), [])


if __name__ == "__main__":
    unittest.main()
