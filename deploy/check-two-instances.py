#!/usr/bin/env python3
"""Runs deploy/two-instances.md for real on one machine: two `accord serve` instances on one PostgreSQL database
behind nginx (the configuration of that page, on free loopback ports), a webhook receiver, and a Server-Sent
Events client that goes through nginx. Kills the leading instance with SIGKILL, lets the stream client reconnect
through nginx with its Last-Event-ID, and checks that the webhooks and the stream received every notification, in
order.

    ACCORD_BINARY=.build/release/accord ACCORD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
        deploy/check-two-instances.py

Needs nginx and psql on the PATH. Creates and drops the database accord_deploy_check.
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

A = os.environ.get("ACCORD_BINARY", ".build/debug/accord")
ADMIN = os.environ["ACCORD_TEST_POSTGRES_URL"]
DB = ADMIN.rsplit("/", 1)[0] + "/accord_deploy_check"
WORK = tempfile.mkdtemp(prefix="accord-two-instances-")
HERE = os.path.dirname(os.path.abspath(__file__))
subprocess.run(["psql", ADMIN, "-qc", "DROP DATABASE IF EXISTS accord_deploy_check WITH (FORCE)"], check=True)
subprocess.run(["psql", ADMIN, "-qc", "CREATE DATABASE accord_deploy_check"], check=True)
env = dict(os.environ, ACCORD_DATABASE=DB)
subprocess.run([A, "migrate"], env=env, check=True, capture_output=True)
token = subprocess.run([A, "token", "create", "--name", "Ops", "--role", "admin"], env=env, check=True, capture_output=True, text=True).stdout.strip()

received = []
class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        received.append((self.headers["webhook-id"], json.loads(body)))
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
hook = HTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=hook.serve_forever, daemon=True).start()

def serve(port, extra=[]):
    return subprocess.Popen([A, "serve", "--port", str(port), "--allow-private-webhooks", "--leader-poll-interval", "200ms"] + extra,
                            env=env, stdout=open(f"{WORK}/serve-{port}.log", "w"), stderr=subprocess.STDOUT)
def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
p1, p2, front = free(), free(), free()
# The nginx block of two-instances.md, on free ports, with its files in a temporary folder.
page = open(os.path.join(HERE, "two-instances.md")).read()
block = page.split("```nginx\n", 1)[1].split("```", 1)[0]
block = block.replace("127.0.0.1:8081", f"127.0.0.1:{p1}").replace("127.0.0.1:8082", f"127.0.0.1:{p2}").replace("listen 80;", f"listen 127.0.0.1:{front};")
paths = "".join(f"    {kind}_temp_path {WORK}/{kind};\n" for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
open(f"{WORK}/nginx.conf", "w").write(f"pid {WORK}/nginx.pid;\nerror_log {WORK}/error.log;\nevents {{ worker_connections 1024; }}\n"
                                      f"http {{\n    access_log {WORK}/access.log;\n{paths}{block}}}\n")
servers = {p1: serve(p1, ["--demo"])}
time.sleep(3)
servers[p2] = serve(p2)
nginx = subprocess.Popen(["nginx", "-c", f"{WORK}/nginx.conf", "-p", WORK, "-g", "daemon off;"])
time.sleep(3)
BASE = f"http://127.0.0.1:{front}"
def call(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status, dict(r.headers), json.loads(r.read() or b"{}")
def agree():
    _, headers, _ = call("POST", "/v1/processes", {"title": "Check", "template": "nato-consensus", "electorate": {"parties": ["DE", "FR"]}})
    loc = headers["Location"]
    call("POST", loc + "/ballots", {"party": "DE", "position": "yes"})
    call("POST", loc + "/ballots", {"party": "FR", "position": "yes"})

call("POST", "/v1/webhooks", {"url": f"http://127.0.0.1:{hook.server_port}/hook", "types": ["*"]})
events = []
def stream(last_id=None):
    headers = {"Last-Event-ID": last_id} if last_id else {}
    req = urllib.request.Request(BASE + "/v1/stream?types=*", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            block = {}
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line == "":
                    if "data" in block: events.append(block)
                    block = {}
                elif line.startswith("data: "): block["data"] = json.loads(line[6:])
                elif line.startswith("id: "): block["id"] = line[4:]
    except Exception as e:
        pass
print("ports", p1, p2, front, flush=True)
t = threading.Thread(target=stream, daemon=True); t.start()
time.sleep(1)
agree(); agree()
time.sleep(3)
first = len(events)
last_id = [e["id"] for e in events if "id" in e][-1]
leader = [p for p in servers if "this instance leads" in open(f"{WORK}/serve-{p}.log").read()][0]
os.kill(servers[leader].pid, signal.SIGKILL); servers[leader].wait()
agree()
time.sleep(3)
# The stream went to one of the instances; reconnect as a browser would.
t2 = threading.Thread(target=stream, args=(last_id,), daemon=True); t2.start()
time.sleep(3)
other = [p for p in servers if p != leader][0]
status, _, page = call("GET", "/v1/notifications?types=*&limit=1000")
ids = [n["id"] for n in page["notifications"]]
seen = []
for e in events:
    if e["data"]["id"] not in seen: seen.append(e["data"]["id"])
got = []
for wid, _ in received:
    if wid not in got: got.append(wid)
took_over = "this instance leads" in open(f"{WORK}/serve-{other}.log").read()
print("leader killed:", leader, "new leader:", other, "leads" if took_over else "NOT LEADING")
print("outbox:", len(ids), "stream (first connection):", first, "stream total distinct:", len(seen), "webhooks distinct:", len(got), "webhook requests:", len(received))
ok = took_over and len(ids) >= 12 and seen == ids[-12:] and got == ids[-12:]
print("stream complete and ordered:", seen == ids[-12:], "webhooks complete and ordered:", got == ids[-12:], "(12 notifications after the demo)")
nginx.terminate(); nginx.wait()
for p in servers.values():
    if p.poll() is None: p.terminate(); p.wait()
subprocess.run(["psql", ADMIN, "-qc", "DROP DATABASE IF EXISTS accord_deploy_check WITH (FORCE)"])
shutil.rmtree(WORK, ignore_errors=True)
print("OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
