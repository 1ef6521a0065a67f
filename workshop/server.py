"""The workshop's web server: pages, the JSON API and the live WebSocket.

``create_app(db)`` builds the FastAPI application; ``serve`` runs it under uvicorn. All
endpoints are coroutines, so every engine call runs on the event loop's thread, one at a
time: that is the lock that keeps a clock tick and an order from interleaving.

Authentication: ``Authorization: Bearer <token>`` on the API, and the token as the first
message on the WebSocket. A participant's token names its game and team; the facilitator's
names its game. Refusals answer ``{"error", "message", "message_zh"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import Field, StrictInt, StrictStr

from scenarios import builtin_scenarios
from workshop.debrief import debrief
from workshop.hub import Hub, Subscriber, participant_state
from workshop.messages import Refused
from workshop.report import render_report
from workshop.service import CreateGame, Join, Preview, Workshop
from workshop.settings import Strict
from workshop.store import Store
from workshop.tokens import Session
from workshop.views import overview, trade_row

log = logging.getLogger("workshop")
TICK_SECONDS = 0.1
FLUSH_SECONDS = 0.05  # how long an action's update waits for others to share it
FULL_LOOK_SECONDS = 0.5  # how often every team's position is compared, not only the known
_PAGES = {"index": "index.html", "host": "host.html", "console": "console.html",
          "play": "play.html", "debrief": "debrief.html"}


Auth = Annotated[str | None, Header()]  # "Bearer <token>"


class OrderIn(Strict):
    market: Annotated[StrictStr, Field(max_length=64)]
    side: Literal["buy", "sell"]
    lots: Annotated[StrictInt, Field(gt=0, lt=1 << 40)]
    price_ticks: Annotated[StrictInt, Field(gt=0, lt=1 << 40)]
    tif: Literal["gtc", "day"] = "gtc"


class AbatementIn(Strict):
    pollutant: Annotated[StrictStr, Field(max_length=10)]
    abatement_t: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None


class ControlIn(Strict):
    action: Literal["open_round", "pause", "resume", "end_round", "end_game"]


def create_app(db: Path | str, *, wall: Callable[[], float] = time.monotonic,
               tick_seconds: float = TICK_SECONDS) -> FastAPI:
    """The application over the database file ``db`` (created if missing).

    Args:
        db: SQLite file holding every game.
        wall: the wall clock that rounds run on (tests pass one they move by hand).
        tick_seconds: how often open rounds move and screens are updated.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(db)
        workshop = Workshop(store, wall)
        app.state.workshop, app.state.hub = workshop, Hub(workshop)
        app.state.pending, app.state.flush_scheduled = set(), False
        workshop.load_running()
        clock = asyncio.create_task(_run_clock(app, tick_seconds))
        try:
            yield
        finally:
            clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await clock
            workshop.checkpoint_all()
            app.state.hub.close_all()
            store.close()

    # No API schema or docs: the server is for players, not for exploring its endpoints.
    app = FastAPI(title="cgx workshop", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.join_attempts = JoinLimiter(wall)
    app.middleware("http")(_security_headers)
    app.add_exception_handler(Refused, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=str(_asset_dir("static"))), name="static")
    _add_pages(app)
    _add_api(app)
    _add_socket(app)
    return app


def serve(host: str, port: int, db: Path) -> int:
    """Run the server until interrupted; return the exit code."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(f"workshop: http://{host}:{port}/  (games in {db})", flush=True)
    # Compressing each update for each screen would cost more CPU than a LAN saves.
    uvicorn.run(create_app(db), host=host, port=port, log_level="warning",
                ws_per_message_deflate=False)
    return 0


# ---- pages ---------------------------------------------------------------------------------


def _add_pages(app: FastAPI) -> None:
    def page(name: str) -> FileResponse:
        return FileResponse(_asset_dir("templates") / _PAGES[name],
                            headers={"Cache-Control": "no-cache"})

    app.get("/", include_in_schema=False)(lambda: page("index"))
    app.get("/host", include_in_schema=False)(lambda: page("host"))
    app.get("/host/{game_id}", include_in_schema=False)(lambda game_id: page("console"))
    app.get("/play/{game_id}", include_in_schema=False)(lambda game_id: page("play"))
    app.get("/debrief/{game_id}", include_in_schema=False)(lambda game_id: page("debrief"))


# ---- the API -------------------------------------------------------------------------------


def _add_api(app: FastAPI) -> None:  # noqa: C901  (one registration per endpoint)
    def workshop() -> Workshop:
        return app.state.workshop  # type: ignore[no-any-return]

    def auth(game_id: str, authorization: str | None, role: str | None = None) -> Session:
        token = (authorization or "").removeprefix("Bearer ").strip()
        session = workshop().session(token, game_id)
        workshop().game(game_id)  # 404 for a game that is gone
        if role is not None and session.role != role:
            raise Refused("forbidden", 403)
        return session

    def publish(game_id: str) -> None:
        """Push the action's effects soon: actions arriving together share one update."""
        app.state.pending.add(game_id)
        if not app.state.flush_scheduled:
            app.state.flush_scheduled = True
            asyncio.get_running_loop().call_later(FLUSH_SECONDS, flush)

    def flush() -> None:
        app.state.flush_scheduled = False
        pending, app.state.pending = app.state.pending, set()
        for game_id in pending:
            with contextlib.suppress(Refused):
                game = workshop().game(game_id)
                app.state.hub.publish(game, game.drain(every_team=False))

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "games_in_memory": workshop().in_memory()}

    @app.get("/api/scenarios")
    async def scenarios() -> dict[str, Any]:
        return {"scenarios": [{"name": k, "description": v}
                              for k, v in sorted(builtin_scenarios().items())]}

    @app.post("/api/preview")
    async def preview(body: Preview) -> dict[str, Any]:
        # Building a world takes a while; off the event loop, every other request goes on.
        try:
            answer: dict[str, Any] = await asyncio.wait_for(
                asyncio.to_thread(workshop().preview, body), timeout=PREVIEW_SECONDS)
        except asyncio.TimeoutError:
            raise Refused("too_slow", 503) from None
        return answer

    @app.post("/api/games", status_code=201)
    async def create(body: CreateGame) -> dict[str, Any]:
        return workshop().create(body)

    @app.post("/api/join")
    async def join(body: Join, request: Request) -> dict[str, Any]:
        client = request.client.host if request.client else "?"
        limiter = app.state.join_attempts
        limiter.check(client)
        try:
            return workshop().join(body)
        except Refused:
            limiter.failed(client)
            raise

    @app.get("/api/games/{game_id}/me")
    async def me(game_id: str, authorization: Auth = None) -> dict[str, Any]:
        session = auth(game_id, authorization, "team")
        assert session.team_id is not None
        return participant_state(workshop(), workshop().game(game_id), session.team_id)

    @app.get("/api/games/{game_id}/overview")
    async def game_overview(game_id: str, authorization: Auth = None) -> dict[str, Any]:
        auth(game_id, authorization, "facilitator")
        return overview(workshop().game(game_id), workshop().names(game_id),
                        workshop().codes(game_id))

    @app.post("/api/games/{game_id}/orders")
    async def place(game_id: str, body: OrderIn, authorization: Auth = None) -> dict[str, Any]:
        session = auth(game_id, authorization, "team")
        result = workshop().act(game_id, "order", session.team_id, body.model_dump())
        publish(game_id)
        return result

    @app.delete("/api/games/{game_id}/orders/{order_id}")
    async def cancel(game_id: str, order_id: int, authorization: Auth = None
                     ) -> dict[str, Any]:
        session = auth(game_id, authorization, "team")
        result = workshop().act(game_id, "cancel", session.team_id, {"order_id": order_id})
        publish(game_id)
        return result

    @app.post("/api/games/{game_id}/abatement")
    async def abate(game_id: str, body: AbatementIn, authorization: Auth = None
                    ) -> dict[str, Any]:
        session = auth(game_id, authorization, "team")
        result = workshop().act(game_id, "abate", session.team_id, body.model_dump())
        publish(game_id)
        return result

    @app.post("/api/games/{game_id}/control")
    async def control(game_id: str, body: ControlIn, authorization: Auth = None
                      ) -> dict[str, Any]:
        auth(game_id, authorization, "facilitator")
        payload = {"by": "facilitator"} if body.action == "end_round" else {}
        result = workshop().act(game_id, body.action, None, payload)
        publish(game_id)
        return result

    @app.get("/api/games/{game_id}/log")
    async def action_log(game_id: str, authorization: Auth = None,
                         kind: str | None = None) -> dict[str, Any]:
        auth(game_id, authorization, "facilitator")
        return {"actions": [{"seq": seq, "kind": a.kind, "at": a.at, "team_id": a.team_id,
                             "payload": a.payload}
                            for seq, a in workshop().store.actions(game_id, kind)]}

    @app.get("/api/games/{game_id}/trades")
    async def trades(game_id: str, authorization: Auth = None) -> dict[str, Any]:
        auth(game_id, authorization, "facilitator")
        game = workshop().game(game_id)
        return {"trades": [{**trade_row(t, names={}), "buyer": t.trade.buyer,
                            "seller": t.trade.seller, "trade_id": t.trade.trade_id,
                            "value_fen": t.trade.value_fen, "fee_fen": t.trade.fee_fen}
                           for t in game.trades]}

    @app.get("/api/games/{game_id}/debrief")
    async def game_debrief(game_id: str, authorization: Auth = None) -> dict[str, Any]:
        tables: dict[str, Any] = _clean(_debrief(workshop(), auth(game_id, authorization)))
        return tables

    @app.get("/api/games/{game_id}/report.html")
    async def report(game_id: str, authorization: Auth = None) -> Response:
        data = _debrief(workshop(), auth(game_id, authorization))
        return HTMLResponse(render_report(data), headers={
            "Content-Disposition": f'attachment; filename="debrief-{game_id}.html"'})


def _debrief(workshop: Workshop, session: Session) -> dict[str, Any]:
    game = workshop.game(session.game_id)
    if session.role == "team" and game.status != "ended":
        raise Refused("not_finished")
    return debrief(game, workshop.names(game.game_id))


# ---- the live socket -----------------------------------------------------------------------


def _add_socket(app: FastAPI) -> None:
    @app.websocket("/api/games/{game_id}/ws")
    async def live(socket: WebSocket, game_id: str) -> None:
        await socket.accept()
        try:
            token = await asyncio.wait_for(_first_token(socket), timeout=10)
            session = app.state.workshop.session(token, game_id)
            app.state.workshop.game(game_id)
        except _BadFrame as bad:
            log.warning("websocket %s: closed: %s", game_id[:40], bad)
            with contextlib.suppress(Exception):
                await socket.close(code=4400)
            return
        except Refused as refused:
            await socket.send_json({"type": "error", **refused.as_json()})
            await socket.close(code=4401 if refused.status == 401 else 4403)
            return
        except (asyncio.TimeoutError, ValueError, WebSocketDisconnect):
            with contextlib.suppress(Exception):
                await socket.close(code=4400)
            return
        subscriber = Subscriber(socket, game_id, session.team_id)
        sender = asyncio.create_task(subscriber.send_all())
        app.state.hub.add(subscriber)
        try:
            while True:  # the page only pings; reading notices a closed socket
                await socket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            app.state.hub.remove(subscriber)
            sender.cancel()


async def _run_clock(app: FastAPI, tick_seconds: float) -> None:
    """Move open rounds and push what changed, every tick, for as long as the app runs."""
    workshop: Workshop = app.state.workshop
    hub: Hub = app.state.hub
    looked = 0.0
    while True:
        await asyncio.sleep(tick_seconds)
        try:
            full = time.monotonic() - looked >= FULL_LOOK_SECONDS
            looked = time.monotonic() if full else looked
            for game in workshop.tick():
                hub.publish(game, game.drain(every_team=full))
            hub.flush_overviews()
            if full:
                workshop.evict_idle()
        except Exception:  # a failing game must not stop the clock of the others
            log.exception("clock tick failed")


PREVIEW_SECONDS = 20.0  # a preview that takes longer is answered ``too_slow``

# ---- guards -------------------------------------------------------------------------------

# Pages load scripts, styles and images from this server only and open a WebSocket back
# to it; nobody may frame them.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; script-src 'self'; "
                               "connect-src 'self' ws: wss:; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def _security_headers(request: Request,
                            call_next: Callable[[Request], Any]) -> Response:
    response: Response = await call_next(request)
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class JoinLimiter:
    """At most ``limit`` failed join attempts per client address in ``window`` seconds.

    Join codes are short; without a limit one client could try hundreds a second. Only
    failures count, so a room of teams joining from one address is never held up.
    """

    def __init__(self, wall: Callable[[], float], limit: int = 10,
                 window: float = 60.0) -> None:
        self.wall, self.limit, self.window = wall, limit, window
        self._attempts: dict[str, list[float]] = {}

    def check(self, client: str) -> None:
        """Refuse ``client`` while it has ``limit`` recent failures.

        Raises:
            Refused: ``too_many_attempts`` (429).
        """
        now = self.wall()
        recent = [t for t in self._attempts.get(client, ()) if now - t < self.window]
        self._attempts[client] = recent
        if len(recent) >= self.limit:
            raise Refused("too_many_attempts", 429)

    def failed(self, client: str) -> None:
        """Count a failed attempt by ``client``."""
        now = self.wall()
        if len(self._attempts) > 10_000:  # forget idle clients; memory stays bounded
            self._attempts = {c: ts for c, ts in self._attempts.items()
                              if ts and now - ts[-1] < self.window}
        self._attempts.setdefault(client, []).append(now)


class _BadFrame(Exception):
    """A WebSocket's first frame is not the JSON text ``{"token": "..."}``."""


async def _first_token(socket: WebSocket) -> str | None:
    """The token in a socket's first frame.

    Raises:
        _BadFrame: a binary frame, text that is not JSON, or a token that is not a string
            (a missing token is None, refused as ``bad_token`` like a forged one).
        WebSocketDisconnect: the client left.
    """
    message = await socket.receive()
    if message.get("type") == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if not isinstance(text, str):
        raise _BadFrame("first frame is binary, not JSON text")
    try:
        first = json.loads(text)
    except ValueError:
        raise _BadFrame("first frame is not JSON") from None
    token = first.get("token") if isinstance(first, dict) else None
    if token is not None and not isinstance(token, str):
        raise _BadFrame(f"token is a {type(token).__name__}, not a string")
    return token


# ---- errors --------------------------------------------------------------------------------


async def _refused(request: Request, refused: Refused) -> JSONResponse:
    return JSONResponse(refused.as_json(), status_code=refused.status)


async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid"}
    where = ".".join(str(p) for p in first["loc"] if p != "body") or "body"
    detail = f"{where}: {str(first['msg']).removeprefix('Value error, ')}"
    return JSONResponse(Refused("invalid_input", 422, detail=detail).as_json(),
                        status_code=422)


def _clean(value: Any) -> Any:
    """JSON cannot carry NaN or infinity: send null instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _asset_dir(name: str) -> Path:
    return Path(str(resources.files("workshop") / name))


__all__ = ["create_app", "serve"]
