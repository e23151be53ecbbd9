"""A small Streamlit websocket client: one :class:`Session` is what one browser tab does.

The browser's frontend talks to ``/_stcore/stream`` in protobuf: it sends a ``BackMsg`` whose
``rerun_script`` (a ``ClientState``) carries the page (``page_name`` = the URL path on the first
run, then the ``page_script_hash`` the server announced in its ``navigation`` message), the URL's
query string, and the widget values; the server answers with ``ForwardMsg``s — ``new_session``,
``navigation``, ``page_info_changed`` (the app rewrote the query string), one ``delta`` per element,
and ``script_finished``. This client does the same:

* :meth:`Session.load` opens a page with a query string (a link), as a new tab does;
* :meth:`Session.change` sets one widget, found by its key (initviz's widget key is the link
  parameter's name), to a new value and reruns, sending the query string the app last wrote —
  exactly what the browser sends after a user moves a control;
* each returns a :class:`Run`: wall seconds from sending to ``script_finished``, the outcome, and
  what the page showed that matters here (exceptions, error boxes, notices, charts).

Behind a load balancer (``deploy/``), a tab first loads the page, which gives it the balancer's
affinity cookie (:func:`visit`), and sends that cookie with its websocket; a tab whose socket closed
reconnects with its session id (``Session.connect(..., resume=...)``), as the browser does, and the
server that still holds the session resumes it. :attr:`Session.upstream` is the replica nginx says
served the socket (its ``X-Initviz-Upstream`` header), :attr:`Session.session_id` the server's id.

Only 127.0.0.1 is meant (the load test starts its own server); every wait is bounded.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
WIDGETS = ("slider", "number_input", "selectbox", "radio", "multiselect", "button", "toggle", "select_slider")
NOTICE_HEADING = "could not be used as given"
UPSTREAM_HEADER = "X-Initviz-Upstream"
"""The header deploy/nginx.conf adds to every response: the replica that answered."""
NO_XSRF_TOKEN = "PLACEHOLDER_AUTH_TOKEN"
"""What the frontend sends in the XSRF slot of the websocket's subprotocols when it has no token."""


def run_blocking(coroutine):
    """``asyncio.run`` on a thread of its own: Playwright's sync API (the browser tests of the same
    pytest session) keeps an event loop running on the main thread, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass
class Visit:
    """What loading a page over HTTP gave: the cookies to send back (a ``Cookie`` header value, or
    None) and the replica that answered (None without a balancer)."""

    cookie: str | None
    upstream: str | None


def last_upstream(header: str | None) -> str | None:
    """The replica that answered: the last of nginx's ``$upstream_addr`` list (``a, b`` after a failover)."""
    return header.split(",")[-1].strip() if header else None


def visit(base: str, timeout: float = 30.0) -> Visit:
    """``GET base/`` as a browser's first request does; its ``Set-Cookie`` names and values."""
    with urllib.request.urlopen(f"{base}/", timeout=timeout) as response:
        cookies = [c.split(";", 1)[0].strip() for c in response.headers.get_all("Set-Cookie") or []]
        response.read()
        return Visit("; ".join(c for c in cookies if c) or None, last_upstream(response.headers.get(UPSTREAM_HEADER)))


@dataclass
class Run:
    """One script run as the client saw it."""

    seconds: float
    status: str
    """``finished``, ``timeout``, ``closed`` (the socket went away) or ``compile_error``."""
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    charts: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "finished" and not self.exceptions and not self.errors

    @property
    def notice(self) -> bool:
        return any(NOTICE_HEADING in w for w in self.warnings)


def _user_key(element_id: str) -> str:
    """``$$ID-<hash>-<key>`` → ``key`` (initviz's keys are ``[a-z0-9_]+``)."""
    parts = element_id.split("-", 2)
    return parts[2] if len(parts) == 3 else ""


class Session:
    """One tab: a websocket, the widgets of the last run by key, the page and the query string."""

    def __init__(self, ws):
        self.ws = ws
        self.widgets: dict[str, tuple[str, object]] = {}
        self.query = ""
        self.page_hash = ""
        self.session_id = ""
        """The server's id of this session (from its ``new_session`` message)."""
        self.upstream = last_upstream(ws.response.headers.get(UPSTREAM_HEADER))
        self._run: Run | None = None
        self._done: asyncio.Future | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, url: str, timeout: float = 30.0, cookie: str | None = None,
                      resume: str | None = None) -> Session:
        """Open the websocket at ``url``, sending ``cookie`` (a ``Cookie`` header value) and asking the
        server to resume the session ``resume`` (the frontend's reconnect)."""
        protocols = ["streamlit"] + ([NO_XSRF_TOKEN, resume] if resume else [])
        ws = await websockets.connect(url, subprotocols=protocols, max_size=None, open_timeout=timeout,
                                      ping_interval=None, additional_headers={"Cookie": cookie} if cookie else None)
        return cls(ws)

    async def reconnect(self, url: str, cookie: str | None = None, timeout: float = 30.0) -> Session:
        """A new socket to ``url`` asking to resume this session, as the browser's reconnect does; it
        keeps this tab's widgets, query string and page (this socket is closed first if still open)."""
        if not self.closed:
            await self.close()
        new = await Session.connect(url, timeout, cookie=cookie, resume=self.session_id or None)
        new.widgets, new.query, new.page_hash = dict(self.widgets), self.query, self.page_hash
        new.session_id = self.session_id  # until the server announces another (a new session)
        return new

    @property
    def closed(self) -> bool:
        """Whether the socket has gone away (the server closed it or died)."""
        return self._reader.done()

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()

    # --- requests ---------------------------------------------------------------------------------

    async def load(self, page: str, query: str = "", timeout: float = 30.0) -> Run:
        """Open ``page`` (its URL path) with ``query`` (a raw query string), as a new tab does."""
        self.query = query
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        return await self._send(msg, timeout)

    async def change(self, key: str, value, timeout: float = 30.0) -> Run:
        """Set the widget with ``key`` to ``value`` (a number, or an option's label) and rerun."""
        kind, proto = self.widgets[key]
        state = WidgetState(id=proto.id)
        if kind == "slider":
            state.double_array_value.data.append(float(value))
        elif kind == "number_input":
            state.double_value = float(value)
        elif kind in ("selectbox", "radio"):
            state.string_value = str(value)
        elif kind == "multiselect":
            state.string_array_value.data.extend(value)
        else:
            raise ValueError(f"cannot set a {kind}")
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.append(state)
        return await self._send(msg, timeout)

    async def _send(self, msg: BackMsg, timeout: float) -> Run:
        loop = asyncio.get_running_loop()
        self._run = Run(0.0, "running")
        self._done = loop.create_future()
        start = time.perf_counter()
        try:
            await self.ws.send(msg.SerializeToString())
            status = await asyncio.wait_for(asyncio.shield(self._done), timeout)
        except asyncio.TimeoutError:
            status = "timeout"
        except websockets.ConnectionClosed:
            status = "closed"
        run, self._run = self._run, None
        run.seconds, run.status = time.perf_counter() - start, status
        return run

    # --- what the server sends --------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            if self._done is not None and not self._done.done():
                self._done.set_result("closed")

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        run = self._run
        if kind == "new_session" and msg.new_session.initialize.session_id:
            self.session_id = msg.new_session.initialize.session_id
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, run)
        elif kind == "session_event" and run is not None \
                and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            run.exceptions.append(msg.session_event.script_compilation_exception.message)
        elif kind == "script_finished" and self._done is not None and not self._done.done():
            if msg.script_finished in FINISHED:
                self._done.set_result("finished")
            elif msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self._done.set_result("compile_error")
            # FINISHED_EARLY_FOR_RERUN: a rerun follows (e.g. st.switch_page); keep waiting

    def _element(self, element, run: Run | None) -> None:
        kind = element.WhichOneof("type")
        if kind in WIDGETS:
            proto = getattr(element, kind)
            key = _user_key(proto.id)
            if key:
                self.widgets[key] = (kind, proto)
        if run is None:
            return
        if kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert":
            body = element.alert.body
            if element.alert.format == element.alert.ERROR:
                run.errors.append(body)
            elif element.alert.format == element.alert.WARNING:
                run.warnings.append(body)
        elif kind == "plotly_chart":
            run.charts += 1
