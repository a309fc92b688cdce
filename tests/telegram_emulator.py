"""A local Telegram Bot API emulator for tests: a real HTTP server on 127.0.0.1 that PTB talks to.

This module owns the fake Telegram side of the bot's tests: the HTTP server (one background
thread, one thread per connection), the Bot API methods the bot uses answered with
Telegram-shaped JSON, simulated users whose messages, photos, albums and button presses become
updates for ``getUpdates``, the record of every call the bot makes (with uploaded files' bytes),
waiting helpers for sync and async tests, and fault injection (flood control, 5xx, dropped
connections). It checks what Telegram checks where bots commonly go wrong: unknown chats, blocked
users, empty or over-long texts, unescaped MarkdownV2 characters, unbalanced HTML, edits that
change nothing, callback queries answered twice.

Wiring a PTB ``Application`` to it::

    with TelegramEmulator() as emulator:
        application = emulator.application_builder().build()
        async with polling(application):
            emulator.user_sends_text(42, "hello")
            await emulator.wait_for_async("sendMessage", chat_id=42)

Nothing here touches the network beyond 127.0.0.1, and the token is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import io
import json
import logging
import mimetypes
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram import Bot
from telegram.ext import Application, ApplicationBuilder
from tornado.httputil import HTTPFile, parse_body_arguments

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:AAHeyNumberEmulatorTestToken0123456789"
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses larger files, as the cloud Bot API does
API_PREFIX = "/bot"
FILE_PREFIX = "/file/bot"
WEBHOOK_RETRY_SECONDS = 0.2  # after a failed webhook delivery, the same update is tried again
DOWNLOAD = "download"  # the pseudo-method under which file downloads are recorded and can fail

# Parameters that are always strings: never JSON-decoded, even when they look like a number.
_STRING_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "action",
        "url",
        "file_id",
        "emoji",
        "title",
        "performer",
        "description",
        "short_description",
        "name",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "secret_token",
    ]
)
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    ]
)
_HTML_TAG = re.compile(r"</?([a-zA-Z][\w-]*)(?:\s[^<>]*)?>")
_MARKDOWN_V2_MARKERS = frozenset("*_~|[")
_MARKDOWN_V2_RESERVED = frozenset("#+-={}.!()]>")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True)
class Call:
    """One request the bot made: what it asked for, with which files, and what it was answered."""

    method: str
    chat_id: int | str | None
    params: dict[str, Any]
    files: dict[str, bytes]
    time: float
    seq: int = 0
    file_names: dict[str, str] = field(default_factory=dict)
    error_code: int | None = None  # None: answered ok; 0: connection dropped without an answer
    description: str | None = None
    result: Any = None

    def __repr__(self) -> str:
        return f"Call({_summary(self)})"

    @property
    def ok(self) -> bool:
        """Whether the emulator answered this call with ``{"ok": true}``."""
        return self.error_code is None


@dataclass(frozen=True)
class _Upload:
    data: bytes
    filename: str
    content_type: str


@dataclass
class _Request:
    method: str
    params: dict[str, Any]
    uploads: dict[str, _Upload]
    chat_id: int | str | None = None


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str


@dataclass
class _Fault:
    error_code: int
    description: str
    retry_after: int | None
    disconnect: bool
    remaining: int


class _ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _Disconnect(Exception):
    """Close the connection without answering (an injected network failure)."""


def _bad_request(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {detail}")


def _bad_entities(detail: str) -> _ApiError:
    return _bad_request(f"can't parse entities: {detail}")


# --- text checks --------------------------------------------------------------------------------


def _html_to_plain(text: str) -> str:
    """Check Telegram HTML as Telegram does (known tags, balanced) and return the visible text."""
    parts: list[str] = []
    open_tags: list[str] = []
    position = 0
    while (start := text.find("<", position)) != -1:
        parts.append(text[position:start])
        offset = len(text[:start].encode())
        match = _HTML_TAG.match(text, start)
        name = match.group(1).lower() if match else text[start + 1 : start + 10].split(">")[0]
        if match is None or name not in _HTML_TAGS:
            raise _bad_entities(f'Unsupported start tag "{name}" at byte offset {offset}')
        if match.group(0).startswith("</"):
            if not open_tags:
                raise _bad_entities(f"Unexpected end tag at byte offset {offset}")
            if open_tags[-1] != name:
                raise _bad_entities(
                    f'Unmatched end tag at byte offset {offset}, expected "</{open_tags[-1]}>", '
                    f'found "</{name}>"'
                )
            open_tags.pop()
        else:
            open_tags.append(name)
        position = match.end()
    parts.append(text[position:])
    if open_tags:
        raise _bad_entities(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return html.unescape("".join(parts))


def _markdown_v2_to_plain(text: str) -> str:
    """Check MarkdownV2's escaping rules (reserved characters) and return roughly the visible text.

    Formatting markers are dropped without checking that they pair up; the common mistake this
    catches is an unescaped ``+``, ``-`` or ``.`` — exactly what phone numbers are made of.
    """
    parts: list[str] = []
    in_code = in_url = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            parts.append(text[index + 1])
            index += 2
            continue
        if text.startswith("```", index):
            in_code = not in_code
            index += 3
            if in_code and (language := re.match(r"\w*\n", text[index:])):
                index += language.end()
            continue
        if char == "`":
            in_code = not in_code
        elif in_code:
            parts.append(char)
        elif in_url:
            in_url = char != ")"
        elif text.startswith("](", index):
            in_url = True
            index += 1
        elif char == ">" and (index == 0 or text[index - 1] == "\n"):
            pass  # a block quote
        elif char in _MARKDOWN_V2_RESERVED:
            raise _bad_entities(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        elif char not in _MARKDOWN_V2_MARKERS:
            parts.append(char)
        index += 1
    return "".join(parts)


def _visible_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees, after checking it against ``parse_mode`` like Telegram."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _html_to_plain(text)
    if mode == "markdownv2":
        return _markdown_v2_to_plain(text)
    return text


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate an inline keyboard's callback data; return the markup if Telegram would echo it."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if not button.get("text"):
                raise _bad_request("BUTTON_TEXT_EMPTY")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise _bad_request("BUTTON_DATA_INVALID")
    return markup


# --- media helpers ------------------------------------------------------------------------------


def _photo_sizes(data: bytes) -> list[tuple[int, int, bytes]]:
    """(width, height, bytes) per PhotoSize, smallest first; the last one is the exact upload.

    Thumbnails (90 and 320 px on the long side) are real re-encoded JPEGs. Bytes Pillow cannot
    read give a same-bytes 90x68 "thumbnail" and a 1280x960 full size.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height = image.size
            sizes = [_thumbnail(image, side) for side in (90, 320) if max(width, height) > side]
    except Exception:  # any undecodable payload: Pillow raises many different types
        return [(90, 68, data), (1280, 960, data)]
    return [*sizes, (width, height, data)]


def _thumbnail(image: Any, side: int) -> tuple[int, int, bytes]:
    small = image.convert("RGB")
    small.thumbnail((side, side))
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80)
    return small.width, small.height, buffer.getvalue()


def _image_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image.size
    except Exception:  # not an image
        return None


def _audio_duration(data: bytes) -> int:
    """Whole seconds of audio (at least 1), or 0 when soundfile cannot read it."""
    try:
        import soundfile

        return max(1, round(soundfile.info(io.BytesIO(data)).duration))
    except Exception:  # not audio libsndfile understands
        return 0


def _stored_type(folder: str, upload: _Upload) -> tuple[str, str]:
    """File name and MIME type Telegram gives an upload: photos become JPEGs, OGG voice is audio/ogg."""
    if folder == "photos":
        return "photo.jpg", "image/jpeg"
    if folder == "voice" and upload.data.startswith(b"OggS"):
        return "voice.oga", "audio/ogg"
    return upload.filename, upload.content_type


def _extension(filename: str, mime_type: str) -> str:
    if "." in filename:
        return filename.rsplit(".", 1)[1].lower()
    return (mimetypes.guess_extension(mime_type) or ".bin").lstrip(".")


# --- HTTP plumbing ------------------------------------------------------------------------------


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, plain or chunked."""
    if handler.headers.get("Transfer-Encoding", "").lower() != "chunked":
        return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    chunks: list[bytes] = []
    while size := int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16):
        chunks.append(handler.rfile.read(size))
        handler.rfile.readline()
    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
        pass  # trailers
    return b"".join(chunks)


def _decode_value(name: str, value: str) -> Any:
    """A form field as the Bot API reads it: JSON for numbers, booleans, objects; else the string."""
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_request(content_type: str, body: bytes, query: str) -> tuple[dict[str, Any], dict[str, _Upload]]:
    """Parameters and uploaded files from a query string and a urlencoded, multipart or JSON body."""
    params: dict[str, Any] = {name: _decode_value(name, value) for name, value in parse_qsl(query)}
    uploads: dict[str, _Upload] = {}
    if content_type.startswith("application/json"):
        params.update(json.loads(body or b"{}"))
        return params, uploads
    arguments: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    if body:
        parse_body_arguments(content_type, body, arguments, files)
    for name, values in arguments.items():
        try:
            params[name] = _decode_value(name, values[-1].decode())
        except UnicodeDecodeError:  # a file part sent without a filename
            uploads[name] = _Upload(values[-1], name, "application/octet-stream")
    for name, parts in files.items():
        part = parts[-1]
        uploads[name] = _Upload(part.body, part.filename, part.content_type or "application/octet-stream")
    return params, uploads


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the emulator; HTTP/1.1 so PTB's httpx client keeps connections."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self.server.emulator._serve(self)

    def do_POST(self) -> None:
        self.server.emulator._serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        message = format % args
        logger.debug("http: %s", message.replace(self.server.emulator.token, "<token>"))


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that can close its open keep-alive connections and join threads."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, emulator: TelegramEmulator):
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log (instead of printing) an error that escaped a handler, e.g. a malformed request."""
        logger.debug("Telegram emulator: connection error", exc_info=True)

    def close_connections(self) -> None:
        """Wake every handler thread blocked on a keep-alive connection so it can finish."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _write(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:  # the client went away (e.g. PTB cancelled a long poll)
        handler.close_connection = True


def _json_response(payload: dict[str, Any]) -> tuple[int, bytes, str]:
    status = 200 if payload.get("ok") else int(payload.get("error_code", 500))
    return status, json.dumps(payload, ensure_ascii=False).encode(), "application/json"


# --- the emulator -------------------------------------------------------------------------------


class TelegramEmulator:
    """A local Bot API server with simulated users; see the module docstring for the wiring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_first_name: str = "Hey Number",
        bot_username: str = "hey_number_test_bot",
        max_download_bytes: int = MAX_DOWNLOAD_BYTES,
    ):
        self.token = token
        self.max_download_bytes = max_download_bytes
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._lock = threading.Condition(threading.RLock())
        self._closed = False
        self._calls: list[Call] = []
        self._users: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._next_message_id: dict[int, int] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 10_000
        self._delivered_update_id = self._next_update_id - 1
        self._poll_generation = 0
        self._webhook_url = ""  # set by setWebhook: updates are then POSTed there, not polled
        self._webhook_secret: str | None = None
        self._pusher: threading.Thread | None = None
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._next_file = 1
        self._queries: dict[str, dict[str, Any]] = {}
        self._next_query = 1
        self._next_media_group = 1
        self._faults: dict[str, deque[_Fault]] = {}
        self.bot_commands: dict[str, list[dict[str, Any]]] = {}
        self._methods: dict[str, Callable[[_Request], Any]] = self._method_table()
        self._canonical = {name.lower(): name for name in self._methods}
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="telegram-emulator"
        )
        self._thread.start()
        logger.debug("Telegram emulator listening on 127.0.0.1:%d", self.port)

    # --- lifecycle and wiring ---

    @property
    def port(self) -> int:
        """The TCP port the server listens on (127.0.0.1)."""
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token and the method."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``."""
        return f"http://127.0.0.1:{self.port}{FILE_PREFIX}"

    def application_builder(self) -> ApplicationBuilder:
        """A PTB ``ApplicationBuilder`` already pointed at this emulator with its token."""
        return (
            ApplicationBuilder().token(self.token).base_url(self.base_url).base_file_url(self.base_file_url)
        )

    def bot(self) -> Bot:
        """A plain PTB ``Bot`` pointed at this emulator (use it as ``async with emulator.bot() as bot``)."""
        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url)

    def close(self) -> None:
        """Stop the server, wake long polls, close connections and join every thread it started."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify_all()
            pusher = self._pusher
        if pusher is not None:
            pusher.join()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join()
        logger.debug("Telegram emulator closed")

    def __enter__(self) -> TelegramEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- simulated users ---

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Create (or redefine) a user; its private chat has the same id. Returns the User object."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        user.update({key: value for key, value in optional.items() if value is not None})
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def user_blocks_bot(self, user_id: int, blocked: bool = True) -> None:
        """From now on the bot's sends to this user fail with 403 Forbidden (or work again)."""
        with self._lock:
            self._user(user_id)
            if blocked:
                self._blocked.add(user_id)
            else:
                self._blocked.discard(user_id)

    def user_sends_text(self, user_id: int, text: str) -> dict[str, Any]:
        """A private text message; a leading ``/command`` gets its bot_command entity. Returns it."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._user_message(user_id, content)

    def user_sends_command(self, user_id: int, command: str) -> dict[str, Any]:
        """A command such as ``"/voice off"``, with the bot_command entity Telegram adds."""
        if not command.startswith("/") or len(command) < 2:
            raise ValueError(f"a command starts with '/': {command!r}")
        return self.user_sends_text(user_id, command)

    def user_replies(self, user_id: int, text: str, reply_to_message_id: int) -> dict[str, Any]:
        """A text message replying to a message in the user's chat (the bot's or the user's)."""
        with self._lock:
            replied = self._stored_message(user_id, reply_to_message_id)
            return self._user_message(user_id, {"text": text, "reply_to_message": _without_reply(replied)})

    def user_sends_photo(self, user_id: int, data: bytes, caption: str | None = None) -> dict[str, Any]:
        """A compressed photo: several PhotoSize entries, smallest first, the last the exact bytes."""
        return self._user_message(user_id, self._photo_content(_photo_sizes(data), caption))

    def user_sends_album(
        self, user_id: int, photos: list[bytes], caption: str | None = None
    ) -> list[dict[str, Any]]:
        """Several photo messages sharing one ``media_group_id``, queued at once (caption on the first)."""
        sizes = [_photo_sizes(data) for data in photos]
        with self._lock:
            group = f"1{self._next_media_group:017d}"
            self._next_media_group += 1
            return [
                self._user_message(
                    user_id,
                    {**self._photo_content(photo, caption if index == 0 else None), "media_group_id": group},
                )
                for index, photo in enumerate(sizes)
            ]

    def user_sends_document(
        self, user_id: int, data: bytes, file_name: str, mime_type: str, caption: str | None = None
    ) -> dict[str, Any]:
        """A file sent as a document (e.g. an uncompressed photo)."""
        with self._lock:
            stored = self._store_file(data, "documents", file_name, mime_type)
            document = {**self._file_fields(stored), "file_name": file_name, "mime_type": mime_type}
            return self._user_message(user_id, _with_caption({"document": document}, caption))

    def user_sends_sticker(self, user_id: int, emoji: str = "👍") -> dict[str, Any]:
        """A static sticker."""
        with self._lock:
            stored = self._store_file(
                b"RIFF\x00\x00\x00\x00WEBPVP8 ", "stickers", "sticker.webp", "image/webp"
            )
            sticker = {
                **self._file_fields(stored),
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
            }
            return self._user_message(user_id, {"sticker": sticker})

    def user_sends_video(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        """A short video (its bytes are a placeholder)."""
        with self._lock:
            stored = self._store_file(b"\x00\x00\x00\x18ftypmp42", "videos", "video.mp4", "video/mp4")
            video = {**self._file_fields(stored), "width": 640, "height": 480, "duration": 3}
            video["mime_type"] = "video/mp4"
            return self._user_message(user_id, _with_caption({"video": video}, caption))

    def user_presses_button(
        self, user_id: int, message_id: int, callback_data: str, *, check_button: bool = True
    ) -> str:
        """A callback query from an inline button on a bot message; returns the query id.

        With ``check_button`` the message must carry a button with this ``callback_data`` (a real
        client cannot press anything else).
        """
        with self._lock:
            message = self._stored_message(user_id, message_id)
            if check_button:
                _assert_has_button(message, callback_data)
            query_id = f"{user_id}{self._next_query:08d}"
            self._next_query += 1
            self._queries[query_id] = {"user_id": user_id, "answered": False}
            query = {
                "id": query_id,
                "from": self._user(user_id),
                "message": message,
                "chat_instance": str(7_000_000_000 + user_id),
                "data": callback_data,
            }
            self._queue_update({"callback_query": copy.deepcopy(query)})
            return query_id

    def queue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue any raw update body (e.g. ``{"edited_message": {...}}``); ``update_id`` is added."""
        with self._lock:
            return self._queue_update(copy.deepcopy(payload))

    # --- what the bot did ---

    def calls(
        self, method: str | None = None, chat_id: int | str | None = None, *, include_failed: bool = False
    ) -> list[Call]:
        """Recorded calls, oldest first, optionally of one method and/or chat (answered ones only)."""
        with self._lock:
            return self._matching(method, chat_id, 0, include_failed)

    @property
    def unknown_calls(self) -> list[Call]:
        """Calls of methods this emulator does not know (answered 404)."""
        with self._lock:
            return [
                call for call in self._calls if call.error_code == 404 and call.method not in self._methods
            ]

    def mark(self) -> int:
        """A position in the call record: pass it as ``since`` to wait only for later calls."""
        with self._lock:
            return len(self._calls)

    def wait_for(
        self,
        what: str | Callable[[Call], bool],
        chat_id: int | str | None = None,
        count: int = 1,
        timeout: float = 10.0,
        *,
        since: int = 0,
        include_failed: bool = False,
    ) -> list[Call]:
        """Block until ``count`` calls match (a method name or a predicate); return all that match.

        Raises AssertionError listing the calls that did arrive when ``timeout`` passes first.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(found := self._matching(what, chat_id, since, include_failed)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._timeout_report(what, chat_id, count, timeout, found))
                self._lock.wait(remaining)
            return found

    async def wait_for_async(
        self,
        what: str | Callable[[Call], bool],
        chat_id: int | str | None = None,
        count: int = 1,
        timeout: float = 10.0,
        *,
        since: int = 0,
        include_failed: bool = False,
    ) -> list[Call]:
        """:meth:`wait_for` for coroutines: polls without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = self._matching(what, chat_id, since, include_failed)
                if len(found) >= count:
                    return found
                if time.monotonic() >= deadline:
                    raise AssertionError(self._timeout_report(what, chat_id, count, timeout, found))
            await asyncio.sleep(0.01)

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a later ``getUpdates`` offset."""
        with self._lock:
            return len(self._updates)

    def wait_delivered(self, timeout: float = 10.0) -> None:
        """Block until every queued update has been handed out by ``getUpdates``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._all_delivered():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self._undelivered()} update(s) not fetched after {timeout} s")
                self._lock.wait(remaining)

    async def wait_delivered_async(self, timeout: float = 10.0) -> None:
        """:meth:`wait_delivered` for coroutines."""
        deadline = time.monotonic() + timeout
        while not self._all_delivered():
            if time.monotonic() >= deadline:
                raise AssertionError(f"{self._undelivered()} update(s) not fetched after {timeout} s")
            await asyncio.sleep(0.01)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat as it stands now (edits applied, deletions gone), oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._messages.get(chat_id, {}).values()))

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """One stored message as it stands now."""
        with self._lock:
            return copy.deepcopy(self._stored_message(chat_id, message_id))

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes behind a file_id (a user's upload or the bot's)."""
        with self._lock:
            return self._files[file_id].data

    # --- fault injection ---

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        times: int = 1,
        *,
        description: str | None = None,
        disconnect: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail: 429 flood control by default.

        ``error_code=502`` gives "Bad Gateway" (PTB raises NetworkError); ``disconnect=True``
        drops the connection without an answer. ``method="download"`` targets file downloads.
        """
        if description is None:
            description = _default_description(error_code, retry_after)
        fault = _Fault(error_code, description, retry_after if error_code == 429 else None, disconnect, times)
        with self._lock:
            name = self._canonical.get(method.lower(), method)
            self._faults.setdefault(name, deque()).append(fault)

    # --- internals: users, messages, updates, files (call with the lock held) ---

    def _user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self._users:
            self.add_user(user_id)
        return self._users[user_id]

    def _chat(self, user_id: int) -> dict[str, Any]:
        user = self._user(user_id)
        chat = {"id": user_id, "first_name": user["first_name"], "type": "private"}
        chat.update({key: user[key] for key in ("last_name", "username") if key in user})
        return chat

    def _new_message(self, chat_id: int, sender: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message = {
            "message_id": message_id,
            "from": copy.deepcopy(sender),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        self._messages.setdefault(chat_id, {})[message_id] = message
        return message

    def _user_message(self, user_id: int, content: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            message = self._new_message(user_id, self._user(user_id), content)
            self._queue_update({"message": copy.deepcopy(message)})
            return copy.deepcopy(message)

    def _queue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._lock.notify_all()
        return copy.deepcopy(update)

    def _stored_message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        try:
            return self._messages[chat_id][message_id]
        except KeyError:
            raise KeyError(f"no message {message_id} in chat {chat_id}") from None

    def _photo_content(self, sizes: list[tuple[int, int, bytes]], caption: str | None) -> dict[str, Any]:
        with self._lock:
            photo = [
                {
                    **self._file_fields(self._store_file(data, "photos", "photo.jpg", "image/jpeg")),
                    "width": w,
                    "height": h,
                }
                for w, h, data in sizes
            ]
        return _with_caption({"photo": photo}, caption)

    def _store_file(self, data: bytes, folder: str, filename: str, mime_type: str) -> _StoredFile:
        number = self._next_file
        self._next_file += 1
        stored = _StoredFile(
            file_id=f"AgACAgIAAxk{folder[:3]}{number:08d}EmUlAtOr",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{folder}/file_{number}.{_extension(filename, mime_type)}",
            data=data,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _file_fields(stored: _StoredFile) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }

    def _all_delivered(self) -> bool:
        with self._lock:
            return self._delivered_update_id >= self._next_update_id - 1

    def _undelivered(self) -> int:
        with self._lock:
            return self._next_update_id - 1 - self._delivered_update_id

    # --- internals: recording ---

    def _matching(
        self,
        what: str | Callable[[Call], bool] | None,
        chat_id: int | str | None,
        since: int,
        include_failed: bool,
    ) -> list[Call]:
        method = self._canonical.get(what.lower(), what) if isinstance(what, str) else None
        found = []
        for call in self._calls[since:]:
            if not (call.ok or include_failed) or (chat_id is not None and call.chat_id != chat_id):
                continue
            if (method is not None and call.method != method) or (callable(what) and not what(call)):
                continue
            found.append(call)
        return found

    def _timeout_report(
        self, what: object, chat_id: int | str | None, count: int, timeout: float, found: list[Call]
    ) -> str:
        wanted = what if isinstance(what, str) else getattr(what, "__name__", "predicate")
        where = f" in chat {chat_id}" if chat_id is not None else ""
        lines = [f"timed out after {timeout} s waiting for {count} x {wanted}{where}; {len(found)} matched."]
        polls = sum(call.method == "getUpdates" for call in self._calls)
        others = [call for call in self._calls if call.method != "getUpdates"]
        lines.append(
            f"Calls received ({polls} getUpdates not listed):" if others else "No calls besides getUpdates."
        )
        lines.extend(f"  {_summary(call)}" for call in others[-40:])
        return "\n".join(lines)

    def _record(self, request: _Request, arrived: float, result: Any, error: _ApiError | None) -> Call:
        call = Call(
            method=request.method,
            chat_id=request.chat_id,
            params=request.params,
            files={name: upload.data for name, upload in request.uploads.items()},
            time=arrived,
            seq=len(self._calls),
            file_names={name: upload.filename for name, upload in request.uploads.items()},
            error_code=error.error_code if error else None,
            description=error.description if error else None,
            result=copy.deepcopy(result),
        )
        self._calls.append(call)
        self._lock.notify_all()
        quiet = error is None or error.error_code == 409  # 409: a long poll PTB already abandoned
        logger.log(logging.DEBUG if quiet else logging.INFO, "emulator: %s", _summary(call))
        return call

    # --- internals: HTTP dispatch ---

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        body = _read_body(handler)
        split = urlsplit(handler.path)
        path = unquote(split.path)
        try:
            if path.startswith(FILE_PREFIX):
                status, payload, content_type = self._serve_file(path[len(FILE_PREFIX) :])
            elif path.startswith(API_PREFIX):
                status, payload, content_type = self._serve_api(
                    handler, path[len(API_PREFIX) :], body, split.query
                )
            else:
                status, payload, content_type = _json_response(_ApiError(404, "Not Found").payload())
        except _Disconnect:
            handler.close_connection = True
            return
        except Exception as error:  # an emulator bug: answer 500 so the test fails with a reason
            logger.exception("Telegram emulator failed on a request")
            status, payload, content_type = _json_response(
                _ApiError(500, f"Internal Server Error: emulator bug: {error!r}").payload()
            )
        _write(handler, status, payload, content_type)

    def _serve_api(
        self, handler: BaseHTTPRequestHandler, rest: str, body: bytes, query: str
    ) -> tuple[int, bytes, str]:
        token, _, method = rest.partition("/")
        if token != self.token:
            logger.warning("Telegram emulator refused a %s request with a wrong token", method or "bare")
            return _json_response(_ApiError(401, "Unauthorized").payload())
        try:
            params, uploads = _parse_request(handler.headers.get("Content-Type", ""), body, query)
        except Exception as error:  # malformed body: tell the client, as Telegram would
            return _json_response(_bad_request(f"can't parse request: {error}").payload())
        return _json_response(self._dispatch(method, params, uploads))

    def _serve_file(self, rest: str) -> tuple[int, bytes, str]:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            logger.warning("Telegram emulator refused a file download with a wrong token")
            return _json_response(_ApiError(401, "Unauthorized").payload())
        request = _Request(DOWNLOAD, {"file_path": file_path}, {})
        with self._lock:
            arrived = time.time()
            try:
                self._apply_fault(DOWNLOAD)
                stored = self._files_by_path.get(file_path)
                if stored is None:
                    raise _ApiError(404, "Not Found")
            except _Disconnect:
                self._record(request, arrived, None, _ApiError(0, "connection dropped by the emulator"))
                raise
            except _ApiError as error:
                self._record(request, arrived, None, error)
                return _json_response(error.payload())
            self._record(request, arrived, {"file_size": len(stored.data)}, None)
            return 200, stored.data, stored.mime_type

    def _dispatch(self, method: str, params: dict[str, Any], uploads: dict[str, _Upload]) -> dict[str, Any]:
        name = self._canonical.get(method.lower(), method)
        chat_id = params.get("chat_id")
        request = _Request(name, params, uploads, chat_id)
        with self._lock:
            arrived = time.time()
            try:
                self._apply_fault(name)
                if name not in self._methods:
                    raise _ApiError(404, f"Not Found: method {method}")
                result = self._methods[name](request)
            except _Disconnect:
                self._record(request, arrived, None, _ApiError(0, "connection dropped by the emulator"))
                raise
            except (ValueError, TypeError, AttributeError) as error:  # a parameter of the wrong shape
                return self._refuse(request, arrived, _bad_request(f"wrong parameter: {error}"))
            except _ApiError as error:
                return self._refuse(request, arrived, error)
            self._record(request, arrived, result, None)
            return {"ok": True, "result": result}

    def _refuse(self, request: _Request, arrived: float, error: _ApiError) -> dict[str, Any]:
        self._record(request, arrived, None, error)
        return error.payload()

    def _apply_fault(self, name: str) -> None:
        faults = self._faults.get(name)
        if not faults:
            return
        fault = faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.popleft()
        if fault.disconnect:
            raise _Disconnect
        parameters = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
        raise _ApiError(fault.error_code, fault.description, parameters)

    # --- Bot API methods (run with the lock held) ---

    def _method_table(self) -> dict[str, Callable[[_Request], Any]]:
        harmless = self._harmless
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": harmless,
            "setMyDescription": harmless,
            "setMyShortDescription": harmless,
            "getFile": self._get_file,
            "sendMessage": self._send_message,
            "sendVoice": self._send_voice,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "close": harmless,
            "logOut": harmless,
        }

    @staticmethod
    def _harmless(request: _Request) -> bool:
        return True

    def _get_me(self, request: _Request) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, request: _Request) -> list[dict[str, Any]]:
        """Long polling: confirm below ``offset``, answer at once if anything waits, else wait."""
        if self._webhook_url:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(request.params.get("offset") or 0)
        limit = min(max(int(request.params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + min(float(request.params.get("timeout") or 0), 50.0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._lock.notify_all()  # an older long poll still waiting is now terminated
        while offset > 0 and self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        while not self._closed:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = list(self._updates)[offset:] if offset < 0 else list(self._updates)
            if batch or time.monotonic() >= deadline:
                return self._deliver(batch[:limit])
            self._lock.wait(max(deadline - time.monotonic(), 0.0))
        return []

    def _deliver(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if batch:
            self._delivered_update_id = max(self._delivered_update_id, batch[-1]["update_id"])
            self._lock.notify_all()
        return copy.deepcopy(batch)

    def _delete_webhook(self, request: _Request) -> bool:
        if request.params.get("drop_pending_updates"):
            self._updates.clear()
            self._delivered_update_id = self._next_update_id - 1
        self._webhook_url, self._webhook_secret = "", None
        self._lock.notify_all()
        return True

    def _set_webhook(self, request: _Request) -> bool:
        """Webhook mode: a thread POSTs each update, in order, to ``url`` until it answers 200."""
        url = str(request.params.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if request.params.get("drop_pending_updates"):
            self._updates.clear()
            self._delivered_update_id = self._next_update_id - 1
        self._webhook_url, self._webhook_secret = url, request.params.get("secret_token")
        if self._pusher is None:
            self._pusher = threading.Thread(target=self._push_updates, name="telegram-emulator-webhook")
            self._pusher.start()
        self._lock.notify_all()
        return True

    def _push_updates(self) -> None:
        while True:
            with self._lock:
                while not self._closed and not (self._webhook_url and self._updates):
                    self._lock.wait()
                if self._closed:
                    return
                update, url, secret = copy.deepcopy(self._updates[0]), self._webhook_url, self._webhook_secret
            if self._post_update(update, url, secret):
                with self._lock:
                    if self._updates and self._updates[0]["update_id"] == update["update_id"]:
                        self._updates.popleft()
                    self._delivered_update_id = max(self._delivered_update_id, update["update_id"])
                    self._lock.notify_all()
            else:
                time.sleep(WEBHOOK_RETRY_SECONDS)  # as Telegram does: try the same update again later

    @staticmethod
    def _post_update(update: dict[str, Any], url: str, secret: str | None) -> bool:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(
            url, data=json.dumps(update).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status == HTTPStatus.OK
        except (urllib.error.URLError, OSError) as error:
            logger.debug("webhook delivery of update %s failed: %s", update["update_id"], error)
            return False

    def _get_webhook_info(self, request: _Request) -> dict[str, Any]:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _set_my_commands(self, request: _Request) -> bool:
        commands = request.params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("commands is empty")
        for command in commands:
            if not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("command description is empty")
        self.bot_commands[str(request.params.get("language_code") or "")] = commands
        return True

    def _get_my_commands(self, request: _Request) -> list[dict[str, Any]]:
        return self.bot_commands.get(str(request.params.get("language_code") or ""), [])

    def _get_file(self, request: _Request) -> dict[str, Any]:
        stored = self._files.get(str(request.params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.data) > self.max_download_bytes:
            raise _bad_request("file is too big")
        return {**self._file_fields(stored), "file_path": stored.file_path}

    def _send_message(self, request: _Request) -> dict[str, Any]:
        chat_id = self._target_chat(request)
        text = self._text_param(request, "text", limit=4096)
        return self._bot_message(chat_id, request, {"text": text})

    def _send_voice(self, request: _Request) -> dict[str, Any]:
        chat_id = self._target_chat(request)
        stored = self._upload(request, "voice", "voice")
        voice = {
            **self._file_fields(stored),
            "duration": int(request.params.get("duration") or _audio_duration(stored.data)),
            "mime_type": stored.mime_type,
        }
        return self._bot_message(chat_id, request, self._with_request_caption(request, {"voice": voice}))

    def _send_photo(self, request: _Request) -> dict[str, Any]:
        chat_id = self._target_chat(request)
        stored = self._upload(request, "photo", "photos")
        size = _image_size(stored.data)
        if size is None:
            raise _bad_request("IMAGE_PROCESS_FAILED")
        photo = [{**self._file_fields(stored), "width": size[0], "height": size[1]}]
        return self._bot_message(chat_id, request, self._with_request_caption(request, {"photo": photo}))

    def _send_document(self, request: _Request) -> dict[str, Any]:
        chat_id = self._target_chat(request)
        stored = self._upload(request, "document", "documents")
        upload = request.uploads.get("document")
        name = upload.filename if upload else stored.file_path.rsplit("/", 1)[-1]
        document = {**self._file_fields(stored), "file_name": name, "mime_type": stored.mime_type}
        return self._bot_message(
            chat_id, request, self._with_request_caption(request, {"document": document})
        )

    def _send_chat_action(self, request: _Request) -> bool:
        self._target_chat(request)
        if request.params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _edit_message_text(self, request: _Request) -> dict[str, Any]:
        message = self._editable_message(request)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        text = self._text_param(request, "text", limit=4096)
        markup = _check_reply_markup(request.params.get("reply_markup"))
        if text == message["text"] and markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED[len("Bad Request: ") :])
        message["text"] = text
        return self._apply_edit(message, markup)

    def _edit_message_reply_markup(self, request: _Request) -> dict[str, Any]:
        message = self._editable_message(request)
        markup = _check_reply_markup(request.params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED[len("Bad Request: ") :])
        return self._apply_edit(message, markup)

    def _delete_message(self, request: _Request) -> bool:
        chat_id = self._target_chat(request)
        if self._messages.get(chat_id, {}).pop(int(request.params.get("message_id") or 0), None) is None:
            raise _bad_request("message to delete not found")
        return True

    def _answer_callback_query(self, request: _Request) -> bool:
        query = self._queries.get(str(request.params.get("callback_query_id", "")))
        if query is None or query["answered"]:
            raise _ApiError(400, _QUERY_TOO_OLD)
        if len(str(request.params.get("text") or "")) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        request.chat_id = query["user_id"]
        return True

    # --- helpers of the methods ---

    def _target_chat(self, request: _Request) -> int:
        """The private chat a method writes to: known, not blocked."""
        chat_id = request.params.get("chat_id")
        if chat_id in (None, ""):
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self._users:
            raise _bad_request("chat not found")
        if chat_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        request.chat_id = chat_id
        return chat_id

    def _text_param(self, request: _Request, name: str, limit: int) -> str:
        raw = request.params.get(name)
        text = _visible_text(str(raw), request.params.get("parse_mode")) if raw is not None else ""
        if not text.strip():
            raise _bad_request(f"message {name} is empty")
        if _utf16_length(text) > limit:
            raise _bad_request("message is too long" if name == "text" else "message caption is too long")
        return text

    def _with_request_caption(self, request: _Request, content: dict[str, Any]) -> dict[str, Any]:
        if request.params.get("caption") is None:
            return content
        return {**content, "caption": self._text_param(request, "caption", limit=1024)}

    def _upload(self, request: _Request, name: str, folder: str) -> _StoredFile:
        """The file of parameter ``name``: uploaded now (multipart, attach://) or a known file_id."""
        value = request.params.get(name)
        attached = (
            value[len("attach://") :] if isinstance(value, str) and value.startswith("attach://") else None
        )
        upload = request.uploads.get(attached or name)
        if upload is not None:
            return self._store_file(upload.data, folder, *_stored_type(folder, upload))
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {name} in the request")

    def _bot_message(self, chat_id: int, request: _Request, content: dict[str, Any]) -> dict[str, Any]:
        content = dict(content)
        markup = _check_reply_markup(request.params.get("reply_markup"))
        if markup is not None:
            content["reply_markup"] = markup
        reply_to = self._reply_target(chat_id, request.params)
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        return copy.deepcopy(self._new_message(chat_id, self.bot_user, content))

    def _reply_target(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        reply = reply if isinstance(reply, dict) else {"message_id": params.get("reply_to_message_id")}
        if reply.get("message_id") is None:
            return None
        message = self._messages.get(chat_id, {}).get(int(reply["message_id"]))
        if message is None:
            if reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
                return None
            raise _bad_request("message to be replied not found")
        return _without_reply(message)

    def _editable_message(self, request: _Request) -> dict[str, Any]:
        if request.params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the emulator")
        chat_id = self._target_chat(request)
        message = self._messages.get(chat_id, {}).get(int(request.params.get("message_id") or 0))
        if message is None:
            raise _bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: dict[str, Any], markup: dict[str, Any] | None) -> dict[str, Any]:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)


# --- small helpers ------------------------------------------------------------------------------


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of a message for ``reply_to_message`` (Telegram nests only one level)."""
    nested = copy.deepcopy(message)
    nested.pop("reply_to_message", None)
    return nested


def _with_caption(content: dict[str, Any], caption: str | None) -> dict[str, Any]:
    return content if caption is None else {**content, "caption": caption}


def _assert_has_button(message: dict[str, Any], callback_data: str) -> None:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    offered = [button.get("callback_data") for row in rows for button in row]
    if callback_data not in offered:
        raise AssertionError(
            f"message {message['message_id']} has no button with callback_data {callback_data!r}; "
            f"it offers {offered}"
        )


def _default_description(error_code: int, retry_after: int) -> str:
    if error_code == 429:
        return f"Too Many Requests: retry after {retry_after}"
    try:
        phrase = HTTPStatus(error_code).phrase
    except ValueError:
        phrase = "Error"
    return phrase if error_code >= 500 else f"{phrase}: injected by the emulator"


def _summary(call: Call) -> str:
    """One line describing a call, for logs and timeout reports (never the token)."""
    details = [f"#{call.seq} {call.method}"]
    if call.chat_id is not None:
        details.append(f"chat={call.chat_id}")
    for key in ("text", "caption", "action", "message_id", "callback_query_id", "file_id", "file_path"):
        if key in call.params:
            value = call.params[key]
            details.append(f"{key}={_shorten(value)!r}" if isinstance(value, str) else f"{key}={value}")
    details.extend(f"{name}=<{len(data)} bytes>" for name, data in call.files.items())
    details.append("ok" if call.ok else f"-> {call.error_code} {call.description}")
    return " ".join(details)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


@contextlib.asynccontextmanager
async def polling(application: Application, timeout: float = 1.0) -> AsyncIterator[Application]:
    """Run ``application`` with long polling inside the running event loop, then stop it cleanly.

    The equivalent of ``run_polling`` for tests that already have a loop: initialize, start the
    updater (no delay between polls), start the dispatcher; on exit stop both and shut down.
    """
    if application.updater is None:
        raise ValueError("the application was built without an updater")
    async with application:
        await application.updater.start_polling(poll_interval=0, timeout=timeout)
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
