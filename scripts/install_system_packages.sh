#!/usr/bin/env bash
# Debian packages the product needs, installed only when their program is missing, so a machine
# that has them does nothing (and needs no root). Each line: <program on PATH, or a file> <Debian package>.
# HAProxy only with the argument `cluster` (make cluster, and make test for the kill -9 test): `make run` never needs it.
set -euo pipefail
NEEDED=(
  "ffmpeg ffmpeg"          # voice: decode any audio container, OGG/Opus for voice notes
  "espeak-ng espeak-ng"    # voice: offline text-to-speech when edge-tts is unreachable
  "chromium chromium"              # tests: the web chat page in a real headless browser
  "chromedriver chromium-driver"   # tests: Selenium drives that browser
  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc fonts-wqy-microhei"        # screenshots: Chinese text
  "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf fonts-noto-color-emoji"  # screenshots: 🔊 and 🧑‍💼
)
# `scripts/install_system_packages.sh cluster` (make cluster): the load balancer in front of the servers.
if [ "${1:-}" = "cluster" ]; then
  NEEDED+=("haproxy haproxy")
fi
missing=()
for entry in "${NEEDED[@]}"; do
  read -r program package <<<"$entry"
  if [[ "$program" == /* ]]; then [ -e "$program" ] || missing+=("$package")
  else command -v "$program" >/dev/null 2>&1 || missing+=("$package"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
