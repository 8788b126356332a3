"""Loopback servers and the headless Chromium that the browser tests and the browser benchmarks share: a free port,
waiting until a started server answers, stopping it, and the page-idle selector."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"  # Debian's package: downloading a browser is not possible here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Streamlit's app element while connected and no script runs: a page is done drawing
APP_IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, name: str, timeout: float = 120) -> None:
    """Wait until `url` answers 200; fail early when the process stopped, or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} stopte met code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{name} kwam niet op binnen {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Terminate, and kill when it does not stop within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
