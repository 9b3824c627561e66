"""Install time: take Smart Turn's ONNX file out of the pipecat-ai wheel, its SHA-256 checked.

Only the wheel is downloaded (`pip download --no-deps`): pipecat and its pinned dependencies
never enter the venv. The file goes where voice.weights looks for it; a present, verified
file is left alone, so `make install` does nothing the second time.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voice.weights import (SMART_TURN_MEMBER, SMART_TURN_SHA256, SMART_TURN_WHEEL, WeightsError,  # noqa: E402
                           sha256_of, smart_turn_file)


def main() -> None:
    target = smart_turn_file()
    if target.is_file() and sha256_of(target) == SMART_TURN_SHA256:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "-d", download, SMART_TURN_WHEEL], check=True)
        wheel = next(Path(download).glob("*.whl"))
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".")
        try:
            with zipfile.ZipFile(wheel) as archive, os.fdopen(handle, "wb") as out, \
                    archive.open(SMART_TURN_MEMBER) as member:
                while block := member.read(1 << 20):
                    out.write(block)
            actual = sha256_of(Path(temporary))
            if actual != SMART_TURN_SHA256:
                raise WeightsError(f"{SMART_TURN_MEMBER} in {wheel.name} has SHA-256 {actual}, "
                                   f"expected {SMART_TURN_SHA256}")
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    print(f"Smart Turn model installed: {target}")


if __name__ == "__main__":
    main()
