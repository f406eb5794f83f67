"""Computer-voice narration: size per minute of speech, and time to make it, per language.

    .venv/bin/python benchmarks/narration.py [--lesson MODULE/LESSON] [--bitrate KBITS]

Reads one shipped lesson in each of the seven platform languages the way a navigator's page
does (navigator.learning.speech: headings, paragraphs, lists, alt texts; code, tables and
sandbox activities named in a sentence), makes its computer voice with espeak-ng and opusenc
exactly as the job queue does, and prints per language: words said, minutes of audio, seconds
per word, the file's size, KB per minute of speech, and the time it took (CPU of espeak-ng and
opusenc together, and wall clock). Targets: at most 120 KB a minute (a 5-minute lesson under
600 KB, which a saved module on a phone can afford) and a plausible speaking pace (0.2–0.9 s a
word). Needs espeak-ng and opus-tools (bash .ci/install).
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KB_PER_MINUTE_TARGET = 120
PACE = (0.2, 0.9)  # seconds a word
LESSON = "01-what-is-an-llm/02-tokens"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lesson", default=LESSON, help="module/lesson of the shipped course")
    parser.add_argument("--bitrate", type=int, default=None, help="Opus kbit/s to try")
    args = parser.parse_args()

    from navigator import create_app
    from navigator.i18n import CODES
    from navigator.learning import audio, narration, package, speech

    if args.bitrate:
        narration.BITRATE = args.bitrate
    module, lesson = args.lesson.split("/")
    folder = ROOT / "curricula" / "llm-literacy" / module / "lessons"
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "DEMO": False, "SECRET_KEY": "benchmark"})
        with app.app_context():
            if not narration.synthesis_on():
                print("espeak-ng and opusenc are needed: bash .ci/install")
                return 2
            print(f"Lesson {args.lesson}, Opus speech at {narration.BITRATE} kbit/s, "
                  f"espeak-ng at {narration.RATE} words a minute\n")
            print(f"{'language':<9}{'words':>7}{'minutes':>9}{'s/word':>8}{'KB':>7}"
                  f"{'KB/min':>8}{'CPU s':>7}{'wall s':>8}")
            worst = 0.0
            pace_ok = True
            for locale in CODES:
                path = folder / f"{lesson}.{locale}.md"
                meta, body, _line = package.split_front_matter(path.read_text("utf-8"))
                parts = speech.parts(str(meta["title"]), body, locale)
                voice = narration.VOICES[locale]
                target = Path(tmp) / f"{locale}.ogg"
                cpu, wall = _children_cpu(), time.perf_counter()
                narration.make_sound(speech.ssml(parts, voice), voice, target)
                cpu, wall = _children_cpu() - cpu, time.perf_counter() - wall
                data = target.read_bytes()
                seconds = audio.ogg_seconds(data) or 0
                words = speech.words(parts)
                per_minute = len(data) / 1024 / (seconds / 60)
                worst = max(worst, per_minute)
                pace = seconds / words
                pace_ok &= PACE[0] <= pace <= PACE[1]
                print(f"{locale:<9}{words:>7}{seconds / 60:>9.1f}{pace:>8.2f}"
                      f"{len(data) / 1024:>7.0f}{per_minute:>8.1f}{cpu:>7.1f}{wall:>8.1f}")
    verdict = "ok" if worst <= KB_PER_MINUTE_TARGET else "MISSED"
    print(f"\nlargest KB per minute: {worst:.1f} (target ≤ {KB_PER_MINUTE_TARGET}) {verdict}")
    print(f"speaking pace within {PACE[0]}–{PACE[1]} s a word: {'ok' if pace_ok else 'MISSED'}")
    return 0 if worst <= KB_PER_MINUTE_TARGET and pace_ok else 1


if __name__ == "__main__":
    sys.exit(main())
