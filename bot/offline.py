"""The bot's pipeline without Telegram: what ``make run`` does when no bot token is configured.

Each example photo goes through the same steps as a photo sent to the bot (read → check → word
→ speak); the replies are printed, the voice notes and annotated photos written to a folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot import texts
from bot.speech import Speaker, SpeechError
from recognizer import ImageError, Recognizer

log = logging.getLogger(__name__)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_examples(photos: list[Path], out_dir: Path, region: str, model: Path | None = None) -> int:
    """Answer each photo as the bot would; returns 0, or 1 when a photo could not be answered."""
    recognizer = Recognizer.load(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    with Speaker() as speaker:
        for photo in photos:
            try:
                reading = recognizer.read(photo)
            except ImageError as error:
                print(f"--- {photo.name}\n{error}\n")
                failures += 1
                continue
            answer = texts.answer_for(reading, region)
            (out_dir / f"{photo.stem}.annotated.png").write_bytes(reading.annotated())
            print(f"--- {photo.name}  (read in {reading.timings['total'] * 1000:.0f} ms)\n{answer.text}")
            try:
                note = speaker.speak_blocking(answer.speech)
            except SpeechError as error:
                print(f"(no voice note: {error})\n")
                failures += 1
                continue
            voice_path = out_dir / f"{photo.stem}.ogg"
            voice_path.write_bytes(note.ogg)
            print(f"🔊 {voice_path} ({note.seconds:.1f} s): “{answer.speech}”\n")
    return 1 if failures else 0
