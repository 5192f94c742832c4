#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# power_switch.py - a fake network power switch speaking SCPI-like lines,
# one output, the board's power.
#
# Usage: power_switch.py ADDR PORT ON_CMD OFF_CMD
#
#   OUTP ON | OUTP 1     switch on (runs ON_CMD), no answer
#   OUTP OFF | OUTP 0    switch off (runs OFF_CMD), no answer
#   OUTP?                "1" or "0"
#   *IDN?                identification
#   anything else        "ERR unknown command"
#
# The output starts on (the board is running when the farm starts).
# ON_CMD and OFF_CMD are shell commands: the demo's farm script plugs and
# unplugs the board's USB gadget and starts or stops its console there.
import socketserver
import subprocess
import sys
import threading

ADDR, PORT, ON_CMD, OFF_CMD = sys.argv[1], int(sys.argv[2]), *sys.argv[3:5]
state = {"on": True}
lock = threading.Lock()


def switch(on):
    with lock:
        if state["on"] == on:
            return
        subprocess.run(ON_CMD if on else OFF_CMD, shell=True)
        state["on"] = on
        print("power switch: output %s" % ("ON" if on else "OFF"),
              flush=True)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            cmd = raw.decode(errors="replace").strip().upper()
            if cmd in ("OUTP ON", "OUTP 1"):
                switch(True)
            elif cmd in ("OUTP OFF", "OUTP 0"):
                switch(False)
            elif cmd == "OUTP?":
                self.wfile.write(b"1\n" if state["on"] else b"0\n")
            elif cmd == "*IDN?":
                self.wfile.write(b"nmb,fake power switch,0,1.0\n")
            elif cmd:
                self.wfile.write(b"ERR unknown command\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server((ADDR, PORT), Handler) as srv:
        print("power switch: listening on %s:%d" % (ADDR, PORT), flush=True)
        srv.serve_forever()
