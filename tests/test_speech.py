"""bot.speech: real espeak-ng audio, decoded back from the OGG/Opus bytes; no mocks.

One module-wide Speaker keeps the file fast (~0.3-0.8 s per voice note on this machine while a
training run holds both cores; the Opus encoder is most of it).
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile as sf

from bot.speech import (
    ENCODER_THREAD_PREFIX,
    MAX_TEXT_CHARS,
    PART_PAUSE_SECONDS,
    VOICE_SAMPLE_RATE,
    WORKER_NICENESS,
    WORKER_THREAD_NAME,
    EspeakVoice,
    Speaker,
    SpeechError,
    VoiceNote,
    match_voice,
    resample,
    spoken_number,
)

NUMBER = ["416", "555", "0199"]
SENTENCE = "That is the number I read in your photo."
FRAME_MS = 10
SILENCE_RATIO = 0.05  # a frame quieter than 5 % of the loudest frame (-26 dB) is silence
PAUSE_MS = 250  # a pause between digit groups; espeak's gaps between words are ~100 ms


@pytest.fixture(scope="module")
def speaker():
    with Speaker() as shared:
        yield shared


def decode(note: VoiceNote) -> np.ndarray:
    """The note's samples, after checking it is what Telegram's send_voice wants."""
    info = sf.info(io.BytesIO(note.ogg))
    assert (info.format, info.subtype) == ("OGG", "OPUS")
    assert (info.samplerate, info.channels) == (VOICE_SAMPLE_RATE, 1)
    samples, rate = sf.read(io.BytesIO(note.ogg), dtype="float32")
    assert rate == VOICE_SAMPLE_RATE and samples.ndim == 1
    assert len(samples) / rate == pytest.approx(note.seconds, abs=0.05)
    return samples


def frame_rms(samples: np.ndarray) -> np.ndarray:
    size = VOICE_SAMPLE_RATE * FRAME_MS // 1000
    count = len(samples) // size
    return np.sqrt(np.mean(samples[: count * size].reshape(count, size) ** 2, axis=1))


def inner_pauses_ms(samples: np.ndarray) -> list[int]:
    """Lengths of the silent stretches between the first and the last speech, at least PAUSE_MS."""
    rms = frame_rms(samples)
    speech = np.flatnonzero(rms > SILENCE_RATIO * rms.max())
    silent = rms[speech[0] : speech[-1] + 1] <= SILENCE_RATIO * rms.max()
    runs, current = [], 0
    for quiet in silent:
        if quiet:
            current += 1
        else:
            runs.append(current * FRAME_MS)
            current = 0
    return [run for run in runs if run >= PAUSE_MS]


# --- pure helpers ------------------------------------------------------------------------------


def test_spoken_number_separates_every_digit_and_every_group():
    assert spoken_number(NUMBER) == "4 1 6. 5 5 5. 0 1 9 9."
    assert spoken_number(["+44", " 20", "7946-0958"]) == "+ 4 4. 2 0. 7 9 4 6 0 9 5 8."
    assert spoken_number(["+", "33", "", "1"]) == "+ 3 3. 1."
    assert spoken_number(["٤١٦"]) == "4 1 6."  # Arabic-Indic digits are still digits
    with pytest.raises(ValueError):
        spoken_number(["-", ""])


def test_match_voice_prefers_exact_then_named_then_primary_language():
    voices = [
        EspeakVoice("roa/fr-be", ("fr-be",)),
        EspeakVoice("roa/fr", ("fr-fr",)),
        EspeakVoice("roa/pt", ("pt",)),
        EspeakVoice("roa/pt-br", ("pt-br",)),
        EspeakVoice("gmw/en", ("en-gb",)),
        EspeakVoice("gmw/en-us", ("en-us",)),
        EspeakVoice("sit/cmn", ("cmn",)),
    ]
    assert match_voice("fr", voices) == "roa/fr"
    assert match_voice("fr-BE", voices) == "roa/fr-be"
    assert match_voice("fr-ca", voices) == "roa/fr"
    assert match_voice("pt_BR", voices) == "roa/pt-br"
    assert match_voice("pt", voices) == "roa/pt"
    assert match_voice("en", voices) == "gmw/en"
    assert match_voice("en-US", voices) == "gmw/en-us"
    assert match_voice("zh-hans", voices) == "sit/cmn"
    assert match_voice("xx", voices) is None
    assert match_voice("", voices) is None
    assert match_voice(None, voices) is None


def test_resample_is_accurate_and_leaves_no_images():
    rate_in, seconds = 22_050, 1.0
    t_in = np.arange(int(rate_in * seconds)) / rate_in
    for frequency in (440.0, 8_000.0):
        out = resample(np.sin(2 * np.pi * frequency * t_in), rate_in, VOICE_SAMPLE_RATE)
        assert out.dtype == np.float32
        assert len(out) == int(np.ceil(len(t_in) * VOICE_SAMPLE_RATE / rate_in))
        t_out = np.arange(len(out)) / VOICE_SAMPLE_RATE
        middle = slice(1000, len(out) - 1000)
        error = out[middle] - np.sin(2 * np.pi * frequency * t_out[middle])
        assert np.sqrt(np.mean(error**2)) < 1e-3
        spectrum = np.abs(np.fft.rfft(out[middle] * np.hanning(len(out[middle])))) ** 2
        frequencies = np.fft.rfftfreq(len(out[middle]), 1 / VOICE_SAMPLE_RATE)
        images = spectrum[frequencies > rate_in / 2].sum() / spectrum.sum()
        assert images < 1e-6  # -60 dB; linear interpolation leaves -10 dB at 8 kHz


def test_importing_the_module_starts_nothing():
    code = "import sys, bot.speech; assert 'pyttsx3' not in sys.modules; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr


# --- real speech -------------------------------------------------------------------------------


async def test_a_phone_number_becomes_a_small_telegram_voice_note_with_pauses(speaker):
    note = await speaker.speak(f"{spoken_number(NUMBER)} {SENTENCE}")
    samples = decode(note)
    assert 4.0 < note.seconds < 15.0
    assert len(note.ogg) < 80_000  # ~55 kbit/s: about 55 KB for 7.5 s
    rms = frame_rms(samples)
    loud = rms > SILENCE_RATIO * rms.max()
    assert 0.4 < loud.mean() < 0.95  # mostly speech, with some silence
    assert np.median(rms[loud]) > 0.05 and np.median(rms[~loud]) < 0.005
    # Two pauses between the three groups, one before the sentence.
    assert len(inner_pauses_ms(samples)) == 3


async def test_pauses_come_from_the_group_separators(speaker):
    grouped = await speaker.speak(spoken_number(NUMBER))
    flat = await speaker.speak(" ".join("".join(NUMBER)) + ".")
    assert len(inner_pauses_ms(decode(grouped))) == 2
    assert inner_pauses_ms(decode(flat)) == []
    assert grouped.seconds > flat.seconds + 0.6  # ~0.45 s per pause


@pytest.mark.parametrize(("language", "as_words"), [("en", "one million"), ("fr", "un million")])
async def test_digits_are_read_one_by_one(speaker, language, as_words):
    # espeak reads "1000000" as a number ("one million"); spoken_number must make it 7 digits.
    as_number = await speaker.speak("1000000", language)
    in_words = await speaker.speak(as_words, language)
    digits = await speaker.speak(spoken_number(["1000000"]), language)
    assert as_number.seconds == pytest.approx(in_words.seconds, abs=0.15)  # the check can fail
    assert digits.seconds > 2 * as_number.seconds


async def test_416_sounds_like_four_one_six(speaker):
    digits = await speaker.speak(spoken_number(["416"]))
    spelled = await speaker.speak("four one six.")
    hundred = await speaker.speak("416")
    assert digits.seconds == pytest.approx(spelled.seconds, abs=0.1)
    assert hundred.seconds > digits.seconds + 0.25  # "four hundred sixteen" is longer


async def test_a_longer_text_is_not_lost_and_voice_lookups_do_not_wait_for_it(speaker):
    """pyttsx3's runAndWait returns ~10 ms after espeak starts; this text takes espeak longer than that."""
    speaker.voice_for("en")  # warm: the voice list is read once per process
    text = " ".join([f"{spoken_number(NUMBER)} {SENTENCE}"] * 4)
    pending = asyncio.ensure_future(speaker.speak(text))
    await asyncio.sleep(0)  # the request is queued; the worker is now busy for ~1-3 s
    started = time.perf_counter()
    assert speaker.voice_for("de-AT") == speaker.voice_for("de")
    assert time.perf_counter() - started < 0.05  # a handler may call it on the event loop
    note = await pending
    decode(note)
    assert note.seconds > 25.0  # 4 x ~7.5 s; espeak needs ~30 ms for it


def test_espeak_is_told_each_texts_true_size(speaker, monkeypatch):
    """pyttsx3 2.99 tells espeak_Synth ten times the text's size and espeak-ng copies that many bytes:
    a read past the text's end, which killed the test process once in CI (a segfault in Synth on
    the longer text above). Every text goes in with its UTF-8 bytes and their NUL, no more."""
    from pyttsx3.drivers import _espeak

    real_synth = _espeak.cSynth
    told: list[tuple[int, int]] = []

    def recording_synth(text: bytes, size: int, *rest: object) -> int:
        told.append((len(text), size))
        return real_synth(text, size, *rest)

    monkeypatch.setattr(_espeak, "cSynth", recording_synth)
    text = " ".join([f"{spoken_number(NUMBER)} Numéro {SENTENCE}"] * 3)
    decode(speaker.speak_blocking(text))
    decode(speaker.speak_blocking("Four.", "fr"))
    assert len(told) == 2 and told[0][0] > len(text) - 10, told  # é is two bytes
    assert all(size == length + 1 for length, size in told), told


def test_a_text_at_the_end_of_its_memory_does_not_crash_espeak():
    """The crash itself, made certain: a text in its own 3 MB mapping, which pyttsx3's stock size
    (ten times the text) would have espeak copy 27 MB past the end of (a segfault every time)."""
    code = (
        "from bot.speech import _pyttsx3_espeak\n"
        "from pyttsx3.engine import Engine\n"
        "_, espeak = _pyttsx3_espeak()\n"
        "engine = Engine('espeak')\n"
        "espeak.Synth(b'Four.' + bytes(3 << 20), flags=espeak.CHARS_UTF8)\n"
        "espeak.Synchronize()\n"
        "print('spoken')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "spoken"), result


def test_every_call_gets_its_speakers_rate(speaker):
    """Two speakers at different rates, interleaved: each note has its own speaker's rate.

    Also the (probabilistic) regression test for pyttsx3 cancelling espeak while it applied a queued
    rate, which left 2-3 % of notes at the driver's default rate; the fixed code never cancels.
    """
    slow, quick = [], []
    with Speaker(rate_wpm=220) as fast:
        for _ in range(15):
            slow.append(speaker.speak_blocking("Four.", "fr").seconds)
            quick.append(fast.speak_blocking("Four.", "fr").seconds)
    assert max(slow) - min(slow) < 0.05 and max(quick) - min(quick) < 0.05, (slow, quick)
    assert min(slow) > max(quick) + 0.15


async def test_concurrent_speak_calls_each_get_their_own_audio(speaker):
    lengths = [3, 5, 7, 10]
    texts = [spoken_number(["7" * n]) for n in lengths]
    notes = await asyncio.gather(*(speaker.speak(text) for text in texts))
    for note in notes:
        decode(note)
    seconds = [note.seconds for note in notes]
    assert seconds == sorted(seconds) and len(set(seconds)) == len(seconds), seconds
    assert len({note.ogg for note in notes}) == len(notes)


def test_concurrent_threads_and_speakers_each_get_their_own_audio(speaker):
    """Several threads on one speaker, and a second speaker with its own worker, at the same time."""
    texts = [spoken_number(["3" * n]) for n in (2, 4, 6, 8, 10)]
    start = threading.Barrier(len(texts))

    def speak(index: int) -> VoiceNote:
        start.wait()
        if index % 2:
            return speaker.speak_blocking(texts[index])
        with Speaker() as own:
            return own.speak_blocking(texts[index])

    with ThreadPoolExecutor(len(texts)) as pool:
        notes = list(pool.map(speak, range(len(texts))))
    for note in notes:
        decode(note)
    seconds = [note.seconds for note in notes]
    assert seconds == sorted(seconds) and len(set(seconds)) == len(seconds), seconds


async def test_languages_pick_their_own_voice_and_unknown_ones_fall_back_to_english(speaker):
    assert {"en", "fr", "de", "pt-br", "en-us"} <= speaker.available_languages()
    assert speaker.voice_for("pt-BR") == "roa/pt-br"
    assert speaker.voice_for("fr-CA") == speaker.voice_for("fr")
    assert speaker.voice_for("xx") is None
    text = spoken_number(NUMBER)
    english, french, unknown = await asyncio.gather(
        speaker.speak(text, "en"), speaker.speak(text, "fr"), speaker.speak(text, "xx")
    )
    assert english.voice == speaker.voice_for("en") and french.voice == speaker.voice_for("fr")
    assert french.voice != english.voice
    assert abs(french.seconds - english.seconds) > 0.3  # measured 4.0 s vs 5.0 s
    decode(french)
    assert unknown.voice == english.voice
    assert unknown.seconds == pytest.approx(english.seconds, abs=0.1)
    assert (await speaker.speak(text, None)).voice == english.voice


@pytest.mark.parametrize(
    "bad_text",
    ["", "  \n\t ", "x" * 100_000, "x" * (MAX_TEXT_CHARS + 1), "\ud800 lone surrogate", "..."],
    ids=["empty", "blank", "100k", "limit+1", "espeak-fails", "silence"],
)
async def test_errors_are_speech_errors_and_the_worker_keeps_going(speaker, bad_text):
    with pytest.raises(SpeechError) as caught:
        await speaker.speak(bad_text)
    assert str(caught.value).endswith(".")  # a plain sentence
    with pytest.raises(SpeechError):
        speaker.speak_blocking(bad_text)
    decode(await speaker.speak("Still here."))


def test_a_closed_speaker_refuses_politely():
    speaker = Speaker()
    decode(speaker.speak_blocking("one"))
    speaker.close()
    speaker.close()
    with pytest.raises(SpeechError):
        speaker.speak_blocking("two")
    with pytest.raises(ValueError):
        Speaker(rate_wpm=10)


def test_the_speech_threads_alone_run_nicer_than_the_bot(speaker):
    speaker.speak_blocking("1 2 3")
    threads = [
        t for t in threading.enumerate() if t.name.startswith((WORKER_THREAD_NAME, ENCODER_THREAD_PREFIX))
    ]
    assert {t.name.startswith(ENCODER_THREAD_PREFIX) for t in threads} == {True, False}  # espeak and encoding
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for thread in threads:
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == min(19, mine + WORKER_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the process (main thread) kept its priority


def test_an_encoding_failure_is_a_speech_error_and_the_next_note_works(speaker, monkeypatch):
    def broken(samples, rate):
        raise ValueError("the encoder broke")

    monkeypatch.setattr("bot.speech.encode_voice_note", broken)
    with pytest.raises(SpeechError, match="failed unexpectedly"):
        speaker.speak_blocking("1 2 3")
    monkeypatch.undo()
    assert speaker.speak_blocking("1 2 3").seconds > 0.5


async def test_a_number_in_french_then_its_sentence_in_english_make_one_note(speaker):
    number = spoken_number(NUMBER)
    alone = await speaker.speak(number, "fr")
    sentence = await speaker.speak(SENTENCE, "en")
    both = await speaker.speak_parts([(number, "fr"), ("", "de"), (SENTENCE, "en")])
    assert both.voice == f"{alone.voice}+{sentence.voice}" and alone.voice != sentence.voice
    assert abs(both.seconds - (alone.seconds + PART_PAUSE_SECONDS + sentence.seconds)) < 0.2
    assert len(inner_pauses_ms(decode(both))) == len(inner_pauses_ms(decode(alone))) + 1
    with pytest.raises(SpeechError):
        await speaker.speak_parts([(" ", "fr")])
