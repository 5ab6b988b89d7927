#!/usr/bin/env bash
# Create an isolated venv for the highway-env peer benchmark.
# highway-env depends on pygame-ce, which clashes with pygame in simdrive's own
# environment, so it lives in benchmarks/peers/.venv-highway (next to this script).
# Idempotent: does nothing if the venv already imports the pinned highway-env.
set -euo pipefail

HIGHWAY_ENV_VERSION="1.12.1"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV_DIR="${SCRIPT_DIR}/.venv-highway"
VENV_PY="${VENV_DIR}/bin/python"
PYTHON="${PYTHON:-python3}"

have_highway() {
    [ -x "${VENV_PY}" ] && "${VENV_PY}" - "${HIGHWAY_ENV_VERSION}" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import os
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import highway_env  # noqa: F401
sys.exit(0 if version("highway-env") == sys.argv[1] else 1)
EOF
}

if have_highway; then
    echo "highway-env ${HIGHWAY_ENV_VERSION} already installed in ${VENV_DIR}" >&2
else
    if [ ! -x "${VENV_PY}" ]; then
        echo "creating venv ${VENV_DIR}" >&2
        "${PYTHON}" -m venv "${VENV_DIR}"
    fi
    echo "installing highway-env==${HIGHWAY_ENV_VERSION} into ${VENV_DIR}" >&2
    "${VENV_PY}" -m pip install --quiet "highway-env==${HIGHWAY_ENV_VERSION}"
    if ! have_highway; then
        echo "error: highway-env ${HIGHWAY_ENV_VERSION} still not importable in ${VENV_DIR}" >&2
        exit 1
    fi
fi

echo "${VENV_PY}"
