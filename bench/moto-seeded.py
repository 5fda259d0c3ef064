"""moto's S3 on loopback, seeded without a request per object.

The benchmarks' emulator regime: the same moto the tests use, served by moto's own threaded
server (moto.server.ThreadedMotoServer), with objects written straight into its backend so that
seeding 100,000 keys takes seconds instead of 100,000 PUT requests. Prints "listening PORT",
then reads JSON lines from stdin: {"bucket": B, "entries": [[key, text], ...]} writes the
entries (the bucket must exist); each line is answered "seeded N". Stops at end of input.
"""
import json
import sys

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(f"listening {server.get_host_and_port()[1]}", flush=True)
backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
for line in sys.stdin:
    if not line.strip():
        continue
    order = json.loads(line)
    for key, text in order["entries"]:
        backend.put_object(order["bucket"], key, text.encode("utf-8"), disable_notification=True)
    print(f"seeded {len(order['entries'])}", flush=True)
server.stop()
