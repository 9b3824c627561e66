#!/usr/bin/env bash
# Print a working Python 3.10 (Rasa 3.6 supports 3.8-3.10): python3.10 on the PATH, else pyenv's.
# pyenv's shim answers `command -v` even when the version is not active, so each one is run.
for candidate in python3.10 "$(pyenv prefix 3.10.13 2>/dev/null)/bin/python3.10" \
                 "$(pyenv prefix 3.10 2>/dev/null)/bin/python3.10"; do
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    echo "$candidate"
    exit 0
  fi
done
echo "Python 3.10 not found: install it (e.g. pyenv install 3.10.13)" >&2
exit 1
