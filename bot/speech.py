"""Voice notes for hey-number: text → espeak-ng speech → 48 kHz mono OGG/Opus, ready for ``send_voice``.

This module owns everything between a sentence and the bytes of a Telegram voice note:

* the pyttsx3 engine on Debian's espeak-ng, which is **not thread-safe** (espeak-ng keeps one voice,
  one rate and one audio callback per *process*). Every :class:`Speaker` funnels its work through one
  dedicated worker thread, and a process-wide lock serialises the workers of several speakers, so
  espeak-ng never runs twice at the same time;
* the choice of an espeak-ng voice for a Telegram/IETF language code (:func:`match_voice`);
* the text that makes espeak read a phone number digit by digit with pauses (:func:`spoken_number`);
* resampling espeak's 22050 Hz to 48 kHz (:func:`resample`, numpy only) and Opus encoding.

Nothing here starts espeak at import time: pyttsx3 is imported by the worker on first use.

pyttsx3 2.99 / espeak-ng 1.51 quirks handled here (details in ``_render_wav``):

* ``runAndWait`` returns before the audio exists. pyttsx3 runs espeak-ng in its asynchronous
  AUDIO_OUTPUT_RETRIEVAL mode: espeak's own thread synthesises and calls the driver back, and the
  driver writes the WAV on espeak's last callback; but ``runAndWait`` processes its end-of-loop
  command before starting espeak and returns after one 10 ms sleep. Short texts usually make it in
  time, anything longer or concurrent loses the file (the "lost file" seen with three concurrent
  syntheses). Completion is taken from the driver's ``finished-utterance`` notification instead,
  then ``espeak_Synchronize`` waits until espeak's thread has left the callback;
* a failure inside ``runAndWait`` leaves the engine half-stopped, so each request gets a **fresh
  engine** inside the worker (≈0.3 ms; pyttsx3 initialises espeak-ng itself once per process);
* a dying engine calls ``espeak_SetSynthCallback(NULL)``, which is process-global: an engine is only
  released under the lock, after espeak is idle, and no traceback that could keep one alive is kept;
* ``engine.setProperty`` queues the change into ``runAndWait``, whose end-of-loop command calls the
  driver's ``stop()``, which ``espeak_Cancel``\\ s espeak whenever it is busy, and it is busy
  applying those very parameters: the rate command is dropped and the note comes out at the
  driver's default 200 wpm (2-3 % of calls here). Voice and rate go through the driver's static
  setters instead, followed by ``espeak_Synchronize``, so espeak is idle when ``runAndWait`` starts;
* errors inside pyttsx3's command queue are swallowed and only reported through the ``"error"``
  notification, which is collected and turned into a failure;
* ``espeak_Synth`` is told ten times the text's size, and espeak-ng copies that many bytes: a read
  past the text's end that can crash the process; the binding's ``Synth`` is replaced by one told
  the true size (:func:`_synth_told_its_size`);
* ``pyttsx3.init()`` hands one cached engine to every caller in the process: not used;
* the espeak driver ``print``\\ s "Audio saved to ..." for every file: its module-level ``print`` is
  redirected to this module's logger at DEBUG level.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import math
import os
import queue
import shutil
import tempfile
import threading
import time
import unicodedata
import wave
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
import soundfile as sf

from bot.memory import give_back_freed_memory

log = logging.getLogger(__name__)

T = TypeVar("T")

# --- Output format -----------------------------------------------------------------------------
VOICE_SAMPLE_RATE = 48_000  # Telegram voice notes are Opus; Opus runs at 48 kHz internally.
OGG_FORMAT = "OGG"
OPUS_SUBTYPE = "OPUS"
# libsndfile maps its 0..1 "compression level" onto the Opus bitrate. Measured on espeak speech:
# None (libopus default) ≈ 61 kbit/s, 0.9 ≈ 31, 0.93 ≈ 24, 0.97 ≈ 16 kbit/s. The higher levels
# also encode slower (8 s of audio: 0.8 → 155 ms, 0.93 → 366 ms); speech runs on one worker for
# every user, so speed wins: 0.8 (about 55 kbit/s, ~55 KB for a 10-digit number and a sentence).
OPUS_COMPRESSION_LEVEL = 0.8
PEAK_LEVEL = 0.89  # normalise the loudest sample to -1 dBFS: blind users listen on phone speakers
MAX_GAIN = 4.0  # ... but never amplify near-silence into noise

# --- Synthesis ---------------------------------------------------------------------------------
ESPEAK_DRIVER = "espeak"
DEFAULT_LANGUAGE = "en"
DEFAULT_RATE_WPM = 150
MIN_RATE_WPM, MAX_RATE_WPM = 80, 450  # espeak-ng's own limits
# A voice note is a phone number and a sentence or two. 2000 characters is about two and a half
# minutes of speech; anything longer is a mistake upstream, not something to read to a user.
MAX_TEXT_CHARS = 2_000
WATCHDOG_SECONDS = 30.0  # cancel espeak if it never reports the end of the message (it is ~100x real time)
FINISH_POLL_SECONDS = 0.005
IDLE_GRACE_SECONDS = 0.2  # espeak idle this long without reporting the end of the message: failed
PART_PAUSE_SECONDS = 0.4  # between the parts of one note (a number, then its verdict in English)
REQUEST_TIMEOUT_SECONDS = 60.0  # a caller waits this long (queueing included) before giving up
CLOSE_TIMEOUT_SECONDS = 10.0
WORKER_THREAD_NAME = "hey-number-speech"
# The worker runs this much nicer than the rest of the bot: when the CPU is short, the text answers
# (recognition) go first and voice notes wait, instead of every reply slowing down together.
WORKER_NICENESS = 10
# Encoding (resampling to 48 kHz, then libsndfile's Opus encoder) is ~90% of a note's CPU and is
# thread-safe, unlike pyttsx3: it runs on this many threads beside the one espeak-ng worker, so
# notes are made as fast as the cores allow, not one at a time.
ENCODER_THREADS = 2
# At most this many notes between "rendered" and "encoded": the rest of a backlog waits as text,
# not as audio samples (~1.5 MB each) queued for the encoders.
NOTES_IN_PROGRESS = ENCODER_THREADS + 1
RESAMPLE_BLOCK = 48_000  # output samples resampled at a time (one second)
ENCODER_THREAD_PREFIX = "hey-number-voice-encoder"
TEMP_DIR_PREFIX = "hey-number-speech-"
MAX_CACHED_LANGUAGES = 512
MBROLA_VOICE_PREFIX = "mb/"  # mbrola voices run at 16 kHz, but pyttsx3 writes 22050 Hz WAV headers

# --- Phone numbers -----------------------------------------------------------------------------
# Measured with espeak-ng 1.51 on the 131 voices shipped by Debian: digits separated by spaces are
# read one by one in every language ("416" alone is "four hundred sixteen"); ", " and ". " between
# groups are read as pauses, never as a decimal point or an ordinal. ". " gives the longer pause
# (English: +0.2 s per gap for ", ", +0.5 s for ". ") and a falling tone on each group, which is how
# people read numbers aloud. A leading "+" is read "plus" in the voice's own language.
DIGIT_SEPARATOR = " "
GROUP_SEPARATOR = ". "
NUMBER_END = "."
PLUS = "+"

# Telegram language codes whose espeak-ng voice has another name.
LANGUAGE_ALIASES = {"zh": "cmn", "zh-hans": "cmn", "zh-hk": "yue", "no": "nb", "iw": "he", "in": "id"}

# --- Resampler ---------------------------------------------------------------------------------
RESAMPLER_ZERO_CROSSINGS = 16  # sinc half-width, in input samples when upsampling: 32 taps
RESAMPLER_KAISER_BETA = 8.6  # ≈ 87 dB stop-band attenuation (Kaiser: beta = 0.1102 (A - 8.7))
RESAMPLER_ROLLOFF = 0.95  # pass band ends at 95 % of the lower Nyquist frequency


class SpeechError(Exception):
    """Speech could not be produced; ``str(error)`` is a plain sentence fit for a log or a user."""


@dataclass(frozen=True)
class VoiceNote:
    """An OGG/Opus voice note (48 kHz, mono) and its length; ``voice`` is the espeak-ng voice used."""

    ogg: bytes = field(repr=False)
    seconds: float
    voice: str = ""


@dataclass(frozen=True)
class EspeakVoice:
    """An espeak-ng voice as pyttsx3 lists it: ``id`` like ``"roa/fr"``, ``languages`` like ``("fr-fr",)``."""

    id: str
    languages: tuple[str, ...]

    @property
    def short_name(self) -> str:
        """The last part of the id (``"roa/pt-br"`` → ``"pt-br"``), which espeak users call the voice."""
        return self.id.rsplit("/", 1)[-1]


# --- Pure helpers ------------------------------------------------------------------------------


def spoken_number(groups: Sequence[str]) -> str:
    """Text that espeak-ng reads digit by digit, pausing between groups, in any language.

    ``["416", "555", "0199"]`` → ``"4 1 6. 5 5 5. 0 1 9 9."``. Anything but digits is dropped, except a
    leading ``+`` (read "plus"); any Unicode decimal digit is accepted and written as ASCII. Raises
    ``ValueError`` when there is no digit at all.
    """
    words = [[str(int(char)) for char in group if char.isdecimal()] for group in groups]
    spoken = [DIGIT_SEPARATOR.join(digits) for digits in words if digits]
    if not spoken:
        raise ValueError("there is no digit in this phone number")
    if "".join(groups).lstrip().startswith(PLUS):
        spoken[0] = f"{PLUS}{DIGIT_SEPARATOR}{spoken[0]}"
    return GROUP_SEPARATOR.join(spoken) + NUMBER_END


def normalise_language(language: str | None) -> str:
    """``"pt_BR "`` → ``"pt-br"``; ``None`` → ``""``."""
    return (language or "").strip().lower().replace("_", "-")


def match_voice(language: str | None, voices: Iterable[EspeakVoice]) -> str | None:
    """The id of the espeak-ng voice for an IETF/Telegram language code, or None if there is none.

    In order: a voice declaring exactly this language (``"pt-br"``, ``"en-us"``); a voice named so
    (``"fr"`` → ``roa/fr``, France rather than Belgium); then the same two for the primary subtag
    alone (``"fr-ca"`` → ``roa/fr``); then any regional variant of it.
    """
    voices = tuple(voices)
    tag = normalise_language(language)
    if not tag:
        return None
    tag = LANGUAGE_ALIASES.get(tag, tag)
    primary = tag.split("-", 1)[0]
    primary = LANGUAGE_ALIASES.get(primary, primary)
    rules: tuple[Callable[[EspeakVoice], bool], ...] = (
        lambda voice: tag in voice.languages,
        lambda voice: voice.short_name == tag,
        lambda voice: voice.short_name == primary,
        lambda voice: primary in voice.languages,
        lambda voice: any(code.startswith(primary + "-") for code in voice.languages),
    )
    for rule in rules:
        for voice in voices:
            if rule(voice):
                return voice.id
    return None


@lru_cache(maxsize=8)
def _sinc_table(up: int, down: int) -> tuple[np.ndarray, int]:
    """Kaiser-windowed sinc taps for each of the ``up`` output phases, and the half-width in taps."""
    scale = min(1.0, up / down)  # < 1 when downsampling: the filter must also cut at the new Nyquist
    cutoff = RESAMPLER_ROLLOFF * scale
    half = math.ceil(RESAMPLER_ZERO_CROSSINGS / scale)
    offsets = np.arange(-half + 1, half + 1)  # input samples around the output instant
    tau = offsets[None, :] - (np.arange(up) / up)[:, None]  # distance in input samples, per phase
    window = np.i0(RESAMPLER_KAISER_BETA * np.sqrt(np.clip(1.0 - (tau / half) ** 2, 0.0, None)))
    taps = cutoff * np.sinc(cutoff * tau) * window / np.i0(RESAMPLER_KAISER_BETA)
    taps /= taps.sum(axis=1, keepdims=True)  # unity gain at DC for every phase
    return taps.astype(np.float32), half


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited rational resampling of a mono signal (numpy only), returned as float32.

    22050 → 48000 Hz is upsampling by 320/147: nothing above the old Nyquist (11025 Hz) exists, so
    no anti-alias filter is needed. Interpolating is still filtering, though (anti-*imaging*): linear
    interpolation mirrors the upper speech band above 11 kHz (measured on a sine: images 25 dB below
    it at 4 kHz, 10 dB at 8 kHz, 5 dB at 10 kHz), an audible hiss that Opus would spend bits on. A
    32-tap Kaiser-windowed sinc per output phase (320 phases, tabulated once) keeps the pass band
    flat to ~10.5 kHz and the images ~100 dB down (48 dB at 10 kHz, in its transition band), for
    ~50 ms of CPU per 7 s of speech. Downsampling works too: the cut-off then follows the new Nyquist.
    """
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    common = math.gcd(rate_in, rate_out)
    up, down = rate_out // common, rate_in // common
    if up == down or samples.size == 0:
        return samples.copy()
    taps, half = _sinc_table(up, down)
    n_out = (samples.size * up + down - 1) // down
    padded = np.concatenate([np.zeros(half, np.float32), samples, np.zeros(half + 1, np.float32)])
    out = np.empty(n_out, np.float32)
    for start in range(0, n_out, RESAMPLE_BLOCK):  # in blocks: a few MB of temporaries, not ~40
        stop = min(start + RESAMPLE_BLOCK, n_out)
        position = np.arange(start, stop, dtype=np.int64) * down  # output instants, in 1/up input samples
        base, phase = position // up, position % up
        block = np.zeros(stop - start, np.float32)
        for tap in range(taps.shape[1]):  # tap j weighs input sample base + j - half + 1
            block += padded[base + tap + 1] * taps[phase, tap]
        out[start:stop] = block
    return out


def encode_voice_note(samples: np.ndarray, rate: int) -> tuple[bytes, float]:
    """Mono float samples at any rate → (OGG/Opus bytes at 48 kHz, duration in seconds)."""
    audio = resample(samples, rate, VOICE_SAMPLE_RATE)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.0:
        audio *= min(PEAK_LEVEL / peak, MAX_GAIN)
    np.clip(audio, -1.0, 1.0, out=audio)
    buffer = BytesIO()
    sf.write(
        buffer,
        audio,
        VOICE_SAMPLE_RATE,
        format=OGG_FORMAT,
        subtype=OPUS_SUBTYPE,
        compression_level=OPUS_COMPRESSION_LEVEL,
    )
    return buffer.getvalue(), audio.size / VOICE_SAMPLE_RATE


def _clean_text(text: str) -> str:
    """Check length and content; control characters become spaces (a NUL would cut the C string)."""
    if not isinstance(text, str):
        raise SpeechError("The text to speak must be a string.")
    if len(text) > MAX_TEXT_CHARS:
        raise SpeechError(
            f"The text is too long to speak ({len(text)} characters; the limit is {MAX_TEXT_CHARS})."
        )
    cleaned = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text).strip()
    if not cleaned:
        raise SpeechError("There is no text to speak.")
    return cleaned


# --- espeak-ng through pyttsx3 (worker threads only, under _ESPEAK_LOCK) ------------------------

# espeak-ng's voice, rate and audio callback are process-wide: one synthesis at a time per process.
_ESPEAK_LOCK = threading.Lock()
_voices: tuple[EspeakVoice, ...] | None = None  # guarded by _ESPEAK_LOCK
_voice_by_language: dict[str, str | None] = {}
_wav_numbers = itertools.count()  # unique temporary WAV names across workers


def _driver_print(*args: object, **_: object) -> None:
    """Stands in for ``print`` inside pyttsx3's espeak driver ("Audio saved to ...")."""
    log.debug("pyttsx3: %s", " ".join(str(arg) for arg in args))


def _synth_told_its_size(binding: Any) -> Callable[..., int]:
    """``espeak_Synth`` as pyttsx3's binding calls it, but told the text's true size.

    pyttsx3 2.99 passes ``size = len(text) * 10``, and espeak-ng's asynchronous modes *copy* ``size``
    bytes from the text before queueing it: nine times the text's length read past its end. That
    read crossing into unmapped memory killed the whole process (a segfault in ``espeak_Synth``
    under CI, on the longest test text). The size is the text's bytes and the NUL after them, which
    a Python ``bytes`` object always carries (pyttsx3 pull request 451, not released).
    """

    def synth(
        text: bytes | str,
        position: int = 0,
        position_type: int = binding.POS_CHARACTER,
        end_position: int = 0,
        flags: int = 0,
        user_data: Any = None,
    ) -> int:
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        size = len(data) + 1
        return binding.cSynth(data, size, position, position_type, end_position, flags, None, user_data)

    synth.told_its_size = True  # type: ignore[attr-defined]
    return synth


def _pyttsx3_espeak() -> tuple[Any, Any]:
    """pyttsx3's espeak driver class and its ctypes binding of libespeak-ng, imported on first use
    (with its ``print`` logged and its ``Synth`` told the text's true size)."""
    import pyttsx3.drivers.espeak as espeak_driver
    from pyttsx3.drivers import _espeak

    espeak_driver.print = _driver_print  # type: ignore[attr-defined]
    if not getattr(_espeak.Synth, "told_its_size", False):
        _espeak.Synth = _synth_told_its_size(_espeak)
    return espeak_driver.EspeakDriver, _espeak


def _new_engine() -> Any:
    """A fresh pyttsx3 espeak engine; the first one in the process initialises espeak-ng."""
    from pyttsx3.engine import Engine

    _pyttsx3_espeak()
    # Engine() rather than pyttsx3.init(): init() hands out one cached engine per driver name to
    # every caller in the process, which is exactly the sharing this module avoids.
    return Engine(ESPEAK_DRIVER)


def _list_voices() -> tuple[EspeakVoice, ...]:
    """espeak-ng's voices, listed once per process. Caller holds ``_ESPEAK_LOCK``."""
    global _voices
    if _voices is None:
        engine = _new_engine()
        try:
            listed = [
                EspeakVoice(str(voice.id), tuple(str(code).lower() for code in voice.languages or ()))
                for voice in engine.getProperty("voices")
            ]
        finally:
            del engine  # release it now: a dying engine unregisters espeak's (global) callback
        _voices = tuple(voice for voice in listed if not voice.id.startswith(MBROLA_VOICE_PREFIX))
        log.info("espeak-ng offers %d voices", len(_voices))
    return _voices


def _listed_voice_for(language: str | None, voices: tuple[EspeakVoice, ...]) -> str | None:
    """Cached :func:`match_voice` over espeak-ng's listed voices; needs no lock (a race only means
    computing one entry twice)."""
    tag = normalise_language(language)
    if tag in _voice_by_language:
        return _voice_by_language[tag]
    voice = match_voice(tag, voices)
    if len(_voice_by_language) < MAX_CACHED_LANGUAGES:  # Telegram sends a few dozen codes at most
        _voice_by_language[tag] = voice
    return voice


def _voice_for_locked(language: str | None) -> str | None:
    """The voice for ``language``, listing espeak-ng's voices first if needed. Caller holds the lock."""
    return _listed_voice_for(language, _list_voices())


def _voice_for(language: str | None) -> str | None:
    """:func:`_voice_for_locked` for a worker that does not hold the lock yet."""
    with _ESPEAK_LOCK:
        return _voice_for_locked(language)


def _render_wav(text: str, voice: str, rate_wpm: int, wav_path: Path) -> str | None:
    """Synthesise ``text`` into ``wav_path`` with a fresh engine. Returns None, or what went wrong.

    pyttsx3 initialises espeak-ng in AUDIO_OUTPUT_RETRIEVAL mode, which is *asynchronous*: espeak's
    own thread synthesises and calls the driver's callback, which writes the WAV when espeak reports
    the end of the message. pyttsx3 2.99's ``runAndWait`` does not wait for that (its end-of-loop
    command runs before the synthesis starts; the loop then sleeps 10 ms once and returns), so a
    longer text, a loaded machine or a second request racing the first loses the file. Here
    ``runAndWait`` only starts the synthesis; completion is the driver's ``finished-utterance``
    notification, and ``espeak_Synchronize`` then waits until espeak's thread has left the callback
    before the engine is released.

    Never raises: an escaping exception's traceback would keep the engine alive past the next
    engine's creation, and its late death would unregister espeak's callback under the new one.
    Caller holds ``_ESPEAK_LOCK``.
    """
    driver_class, _espeak = _pyttsx3_espeak()
    problems: list[str] = []
    finished = threading.Event()

    def on_error(**event: object) -> None:
        problems.append(str(event.get("exception")))  # text only: no traceback kept

    def on_finished(**_: object) -> None:
        finished.set()  # called on espeak's thread, after the WAV is written

    engine = None
    try:
        engine = _new_engine()
        engine.connect("error", on_error)
        engine.connect("finished-utterance", on_finished)
        # Not engine.setProperty(): that queues the change into runAndWait, whose end-of-loop command
        # calls the driver's stop(), which cancels espeak if it is busy, and espeak is busy exactly
        # then, applying those queued parameters; the cancel drops the rate command under way and
        # the note comes out at the driver's default 200 wpm (2-3 % of calls here). The driver's
        # static setters act at once; Synchronize then lets espeak apply them before runAndWait.
        driver_class.setProperty("voice", voice)
        driver_class.setProperty("rate", rate_wpm)
        _espeak.Synchronize()
        engine.save_to_file(text, str(wav_path))
        engine.runAndWait()  # starts espeak and returns early (see above)
        deadline = time.monotonic() + WATCHDOG_SECONDS
        idle_since: float | None = None
        while not finished.wait(FINISH_POLL_SECONDS):
            now = time.monotonic()
            if _espeak.IsPlaying():
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif now - idle_since > IDLE_GRACE_SECONDS:  # idle, and the driver never reported the end
                problems.append("espeak-ng stopped without finishing the audio")
                break
            if now > deadline:
                problems.append(f"espeak-ng did not finish within {WATCHDOG_SECONDS:g} seconds")
                _espeak.Cancel()
                break
    except Exception as exc:  # pyttsx3/espeak may raise anything; reported as text
        problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        with suppress(Exception):
            _espeak.Synchronize()  # espeak's thread must be out of the callback before...
        del engine  # ...the engine dies and unregisters it
    if not problems and not wav_path.is_file():
        problems.append("espeak-ng wrote no audio file")
    return "; ".join(problems) or None


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    """pyttsx3's 16-bit mono WAV → float32 samples in [-1, 1] and the sample rate."""
    with wave.open(str(path), "rb") as wav:
        rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
        frames = wav.readframes(wav.getnframes())
    if width != 2 or channels != 1:
        raise SpeechError("The speech engine produced audio in an unexpected format.")
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


# --- Public API --------------------------------------------------------------------------------


@dataclass
class _Job:
    work: Callable[[Path], Any]
    future: concurrent.futures.Future[Any]


@dataclass(frozen=True)
class _Speech:
    """espeak-ng's output for one text, before encoding."""

    samples: np.ndarray = field(repr=False)
    rate: int
    voice: str
    characters: int


def _encode(speech: _Speech) -> VoiceNote:
    """Runs on an encoder thread: samples → OGG/Opus voice note."""
    try:
        ogg, seconds = encode_voice_note(speech.samples, speech.rate)
    except Exception as error:  # as on the espeak worker: callers get a SpeechError, never a crash
        log.exception("unexpected failure while encoding a voice note")
        raise SpeechError("Speech synthesis failed unexpectedly.") from error
    finally:
        give_back_freed_memory()
    log.debug(
        "voice note: %d chars, voice %s, %.2f s, %d bytes", speech.characters, speech.voice, seconds, len(ogg)
    )
    return VoiceNote(ogg=ogg, seconds=seconds, voice=speech.voice)


class Speaker:
    """Turns text into Telegram voice notes: espeak-ng on one dedicated worker thread (pyttsx3 is not
    thread-safe), the encoding on a small pool of threads beside it.

    The worker (and a private temporary directory) starts on the first request, not in the
    constructor. Use as a context manager or call :meth:`close`. Several speakers in one process are
    safe: their workers take turns on espeak-ng.
    """

    def __init__(self, rate_wpm: int = DEFAULT_RATE_WPM) -> None:
        if not MIN_RATE_WPM <= rate_wpm <= MAX_RATE_WPM:
            raise ValueError(f"rate_wpm must be between {MIN_RATE_WPM} and {MAX_RATE_WPM}, not {rate_wpm}")
        self.rate_wpm = rate_wpm
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._encoders: concurrent.futures.ThreadPoolExecutor | None = None
        self._slots = threading.BoundedSemaphore(NOTES_IN_PROGRESS)  # blocking callers
        self._loop_slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}  # first come, first served
        self._closed = False

    # -- speaking --

    async def speak(self, text: str, language: str | None = DEFAULT_LANGUAGE) -> VoiceNote:
        """Synthesise ``text`` in ``language`` (English if espeak-ng has no voice for it).

        Never blocks the event loop. Raises :class:`SpeechError`.
        """
        return await self.speak_parts([(text, language)])

    async def speak_parts(self, parts: Sequence[tuple[str, str | None]]) -> VoiceNote:
        """One voice note of several texts, each in its own language (``(text, language)``), one
        after the other with a short pause: a number in the user's language, then a sentence in
        English. Empty texts are skipped. Never blocks the event loop. Raises :class:`SpeechError`.
        """
        parts = [(text, language) for text, language in parts if text.strip()]
        if not parts:
            raise SpeechError("There is nothing to say.")

        async def render_then_encode() -> VoiceNote:
            async with self._slots_of(asyncio.get_running_loop()):
                speech = await asyncio.wrap_future(
                    self._submit(lambda workdir: self._render_parts(parts, workdir))
                )
                return await asyncio.wrap_future(self._encoder_pool().submit(_encode, speech))

        try:
            return await asyncio.wait_for(render_then_encode(), REQUEST_TIMEOUT_SECONDS)
        except TimeoutError:
            raise SpeechError("Speech synthesis took too long and was abandoned.") from None

    def speak_blocking(self, text: str, language: str | None = DEFAULT_LANGUAGE) -> VoiceNote:
        """:meth:`speak` for threads without an event loop; blocks until the note is ready."""
        started = time.monotonic()
        if not self._slots.acquire(timeout=REQUEST_TIMEOUT_SECONDS):
            raise SpeechError("Speech synthesis took too long and was abandoned.")
        try:
            speech = self._run_blocking(lambda workdir: self._render(text, language, workdir))
            encoding = self._encoder_pool().submit(_encode, speech)
            try:
                return encoding.result(max(0.0, REQUEST_TIMEOUT_SECONDS - (time.monotonic() - started)))
            except TimeoutError:
                encoding.cancel()
                raise SpeechError("Speech synthesis took too long and was abandoned.") from None
        finally:
            self._slots.release()

    # -- languages --

    def voice_for(self, language: str | None) -> str | None:
        """The espeak-ng voice id used for ``language`` (e.g. ``"fr"`` → ``"roa/fr"``), or None.

        The first call in the process lists espeak-ng's voices on the worker thread and waits for it
        (~0.1 s, more if syntheses are queued); later calls are a cached lookup that never waits,
        so they are fine inside a handler. Call it once at start-up to warm it.
        """
        voices = _voices
        if voices is None:
            return self._run_blocking(lambda _: _voice_for(language))
        return _listed_voice_for(language, voices)

    def available_languages(self) -> set[str]:
        """Language codes with a voice of their own (``"en-us"``, ``"fr"``, ``"pt-br"``, ...).

        Regional variants not in the set (``"fr-ca"``) still get their base language's voice.
        Waits like :meth:`voice_for` on the first call only.
        """
        voices = _voices
        if voices is None:

            def list_voices(_: Path) -> tuple[EspeakVoice, ...]:
                with _ESPEAK_LOCK:
                    return _list_voices()

            voices = self._run_blocking(list_voices)
        return {code for voice in voices for code in (*voice.languages, voice.short_name)}

    # -- lifecycle --

    def close(self) -> None:
        """Finish the requests already queued, then stop the worker. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread, encoders = self._thread, self._encoders
            if thread is not None:
                self._jobs.put(None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(CLOSE_TIMEOUT_SECONDS)
            if thread.is_alive():
                log.warning("the speech worker did not stop within %g s", CLOSE_TIMEOUT_SECONDS)
        if encoders is not None:
            encoders.shutdown(wait=True)

    def __enter__(self) -> Speaker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals --

    def _slots_of(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        with self._lock:
            for old in [known for known in self._loop_slots if known.is_closed()]:
                del self._loop_slots[old]
            return self._loop_slots.setdefault(loop, asyncio.Semaphore(NOTES_IN_PROGRESS))

    def _encoder_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise SpeechError("The speech service has been shut down.")
            if self._encoders is None:
                self._encoders = concurrent.futures.ThreadPoolExecutor(
                    ENCODER_THREADS,
                    thread_name_prefix=ENCODER_THREAD_PREFIX,
                    initializer=_lower_priority_of_this_thread,
                    initargs=(WORKER_NICENESS,),
                )
            return self._encoders

    def _render_parts(self, parts: Sequence[tuple[str, str | None]], workdir: Path) -> _Speech:
        """Runs on the worker thread: each part rendered, joined by PART_PAUSE_SECONDS of silence
        (at the first part's sample rate)."""
        spoken = [self._render(text, language, workdir) for text, language in parts]
        rate = spoken[0].rate
        pause = np.zeros(round(PART_PAUSE_SECONDS * rate), np.float32)
        pieces = []
        for index, speech in enumerate(spoken):
            samples = speech.samples if speech.rate == rate else resample(speech.samples, speech.rate, rate)
            pieces += [pause, samples.astype(np.float32)] if index else [samples.astype(np.float32)]
        voices = "+".join(dict.fromkeys(speech.voice for speech in spoken))
        return _Speech(np.concatenate(pieces), rate, voices, sum(speech.characters for speech in spoken))

    def _render(self, text: str, language: str | None, workdir: Path) -> _Speech:
        """Runs on the worker thread: text → espeak-ng samples (encoding happens elsewhere)."""
        cleaned = _clean_text(text)
        wav_path = workdir / f"{next(_wav_numbers)}.wav"
        try:
            with _ESPEAK_LOCK:
                voice = _voice_for_locked(language) or _voice_for_locked(DEFAULT_LANGUAGE)
                if voice is None:
                    raise SpeechError("The speech engine has no English voice installed.")
                problem = _render_wav(cleaned, voice, self.rate_wpm, wav_path)
            if problem is not None:
                log.warning(
                    "espeak-ng failed on %d characters with voice %s: %s", len(cleaned), voice, problem
                )
                raise SpeechError("The speech engine could not read this text aloud.")
            samples, rate = _read_wav(wav_path)
        finally:
            wav_path.unlink(missing_ok=True)
        if not np.any(samples):
            raise SpeechError("The speech engine produced only silence for this text.")
        return _Speech(samples, rate, voice, len(cleaned))

    def _submit(self, work: Callable[[Path], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise SpeechError("The speech service has been shut down.")
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=WORKER_THREAD_NAME, daemon=True)
                self._thread.start()
            self._jobs.put(_Job(work, future))
        return future

    def _run_blocking(self, work: Callable[[Path], T]) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a blocking Speaker call from its own worker thread would deadlock")
        future = self._submit(work)
        try:
            return future.result(REQUEST_TIMEOUT_SECONDS)
        except TimeoutError:
            future.cancel()
            raise SpeechError("Speech synthesis took too long and was abandoned.") from None

    def _serve(self) -> None:
        """The worker thread: one job at a time, until the ``None`` sentinel from :meth:`close`."""
        workdir = Path(tempfile.mkdtemp(prefix=TEMP_DIR_PREFIX))
        log.debug("speech worker started in %s", workdir)
        _lower_priority_of_this_thread(WORKER_NICENESS)
        try:
            while (job := self._jobs.get()) is not None:
                if not job.future.set_running_or_notify_cancel():
                    continue  # the caller gave up while it was queued
                try:
                    result = job.work(workdir)
                except SpeechError as exc:
                    job.future.set_exception(exc)
                except Exception as exc:
                    log.exception("unexpected failure in the speech worker")
                    error = SpeechError("Speech synthesis failed unexpectedly.")
                    error.__cause__ = exc
                    job.future.set_exception(error)
                else:
                    job.future.set_result(result)
                del job
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            log.debug("speech worker stopped")


def _lower_priority_of_this_thread(increment: int) -> None:
    """Make the calling thread (only it: Linux schedules threads one by one) ``increment`` nicer."""
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + increment))
    except (OSError, AttributeError) as error:  # not Linux, or not allowed: run at normal priority
        log.debug("could not lower the speech worker's priority: %s", error)


__all__ = [
    "EspeakVoice",
    "Speaker",
    "SpeechError",
    "VoiceNote",
    "encode_voice_note",
    "match_voice",
    "normalise_language",
    "resample",
    "spoken_number",
]
