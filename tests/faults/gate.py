"""A TCP relay on a spare loopback port in front of a real server, that a test can switch to
*refuse* connections (nothing listens: connection refused) or to *black-hole* them (connections
are accepted and what is sent is read, but nothing ever comes back), then open again.

The workers are pointed at the relay, so the API (or anything else behind it) really goes away
for them and comes back on the same address, as a restarted or wedged service does.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from flowdash.lib.ports import free_port

OPEN, REFUSE, BLACKHOLE = "open", "refuse", "blackhole"


class Gate:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.mode = OPEN
        self.connections = 0  # accepted, whatever the mode
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accepter: threading.Thread | None = None
        self._held: set[socket.socket] = set()  # every socket of a live relay or a black hole
        self._stopping = False

    # --- life ---------------------------------------------------------------------------------

    def start(self) -> Gate:
        self._listen()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._close_listener()
        self._drop_all()

    def set_mode(self, mode: str) -> None:
        """``open``: relay; ``refuse``: stop listening and reset every live connection;
        ``blackhole``: accept and read, never answer (live relays freeze too)."""
        with self._lock:
            previous, self.mode = self.mode, mode
        if mode == REFUSE:
            self._close_listener()
            self._drop_all()
        elif mode == BLACKHOLE:
            if self._listener is None:
                self._listen()
        elif mode == OPEN:
            if previous == BLACKHOLE:
                self._drop_all()  # the wedged connections end as a timed-out peer's would
            if self._listener is None:
                self._listen()

    # --- internals ----------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        self._accepter = threading.Thread(
            target=self._accept, args=(listener,), name="gate-accept", daemon=True
        )
        self._accepter.start()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _drop_all(self) -> None:
        with self._lock:
            held, self._held = list(self._held), set()
        for sock in held:
            with contextlib.suppress(OSError):
                # RST rather than FIN: a refused/killed service, not a polite close
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopping:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.connections += 1
            with self._lock:
                self._held.add(client)
                mode = self.mode
            if mode == BLACKHOLE:
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._held.add(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _swallow(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while sock.recv(65536):
                pass

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while self.mode == BLACKHOLE and not self._stopping:
                    # a wedged service: what it got is never answered
                    threading.Event().wait(0.2)
                    if src not in self._held:
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
